/** What a run value looks like, to pick how it is shown (by shape: ports say little about list items). */
export interface BlobLike {
  sha256: string;
  mime: string;
  size: number;
  name?: string;
}

export type ValueShape =
  | { kind: 'text'; text: string }
  | { kind: 'blob'; ref: BlobLike; media: 'image' | 'audio' | 'pdf' | 'file' }
  | { kind: 'spilled'; ref: BlobLike }
  | { kind: 'embedding'; values: number[]; model?: string }
  | { kind: 'list'; items: unknown[] }
  | { kind: 'json'; value: unknown };

function isBlob(value: unknown): value is BlobLike {
  const v = value as BlobLike;
  return typeof v === 'object' && v !== null && typeof v.sha256 === 'string' && /^[0-9a-f]{64}$/.test(v.sha256) && typeof v.mime === 'string' && typeof v.size === 'number';
}

export function shapeOf(value: unknown): ValueShape {
  if (typeof value === 'string') return { kind: 'text', text: value };
  if (typeof value === 'object' && value !== null && '$spilled' in value && isBlob((value as { $spilled: unknown }).$spilled)) return { kind: 'spilled', ref: (value as { $spilled: BlobLike }).$spilled };
  if (isBlob(value)) {
    const mime = value.mime;
    const media = mime.startsWith('image/') ? 'image' : mime.startsWith('audio/') || mime === 'video/webm' || mime === 'application/ogg' ? 'audio' : mime === 'application/pdf' ? 'pdf' : 'file';
    return { kind: 'blob', ref: value, media };
  }
  // Tessera's embedding values are { model, vector }.
  const e = value as { model?: unknown; vector?: unknown };
  if (e && typeof e === 'object' && typeof e.model === 'string' && Array.isArray(e.vector) && e.vector.every((x) => typeof x === 'number')) {
    return { kind: 'embedding', values: e.vector as number[], model: e.model };
  }
  if (Array.isArray(value)) {
    if (value.length >= 8 && value.every((x) => typeof x === 'number')) return { kind: 'embedding', values: value as number[] };
    return { kind: 'list', items: value };
  }
  return { kind: 'json', value };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
