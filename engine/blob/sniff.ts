import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import type { BlobRef } from './ref.ts';
import type { BlobStore } from './store.ts';

/** How many leading bytes sniffing looks at (file-type needs at most 4100). */
export const SNIFF_BYTES = 4100;

/**
 * Magic-number sniffing (file-type) knows binary formats only; this tells text and JSON apart from
 * arbitrary bytes so that a .txt or .json input gets a useful media type.
 */
export function sniffTextMime(head: Buffer): string | undefined {
  if (head.length === 0) return 'text/plain';
  const text = head.toString('utf8');
  // U+FFFD appears when the bytes are not valid UTF-8; NUL never appears in text.
  if (text.includes('\u0000') || text.slice(0, -4).includes('\uFFFD')) return undefined;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return 'application/json';
  return 'text/plain';
}

/**
 * The media type of content from its first bytes: magic numbers (file-type), then text/JSON, then the
 * declared type, then octet-stream. Used by the blob store on put and by the API when it re-sniffs.
 */
export async function sniffMime(head: Buffer, declared?: string): Promise<string> {
  const detected = head.length ? await fileTypeFromBuffer(head) : undefined;
  return detected?.mime ?? sniffTextMime(head) ?? declared ?? 'application/octet-stream';
}

/**
 * The media type of a stored blob from its own first bytes, never from a declared type: what a client
 * says a blob is (a run input `{ sha256, mime }`) is checked against this, not trusted.
 */
export async function sniffStored(blobs: BlobStore, ref: Pick<BlobRef, 'sha256'>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.get(ref, { start: 0, end: SNIFF_BYTES - 1 })) chunks.push(chunk as Buffer);
  return sniffMime(Buffer.concat(chunks));
}

/** A binary format found by its magic numbers: file-type's extension ("png", "mp3", "pdf") and media type. */
export interface SniffedType {
  ext: string;
  mime: string;
}

/** Media types come from the bytes, never from file names or declared types. */
export async function sniffBuffer(bytes: Uint8Array): Promise<SniffedType | undefined> {
  const found = await fileTypeFromBuffer(bytes);
  return found ? { ext: found.ext, mime: found.mime } : undefined;
}

export async function sniffFile(file: string): Promise<SniffedType | undefined> {
  const found = await fileTypeFromFile(file);
  return found ? { ext: found.ext, mime: found.mime } : undefined;
}
