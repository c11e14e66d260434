/**
 * Media types of uploads and stored blobs, sniffed from the bytes the way the blob store does it (binary
 * magic numbers, then text/JSON), and which sniffed types count as an image, audio or document.
 */
import { fileTypeFromBuffer } from 'file-type';
import { sniffTextMime } from '../../blob/sniff.ts';

export const MEDIA_KINDS = ['image', 'audio', 'document'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/** Same order as FsBlobStore.put: magic numbers, text, the declared type, then octet-stream. */
export async function sniffHead(head: Buffer, declared?: string): Promise<string> {
  const detected = head.length ? await fileTypeFromBuffer(head) : undefined;
  return detected?.mime ?? sniffTextMime(head) ?? declared ?? 'application/octet-stream';
}

/**
 * Image and audio follow the run-input check (engine/run/inputs.ts), so an upload accepted here is
 * accepted as a run input of that kind; document follows the load-file node (PDF, text, JSON, images).
 */
export function kindAccepts(kind: MediaKind, mime: string): boolean {
  switch (kind) {
    case 'image':
      return mime.startsWith('image/');
    case 'audio':
      return mime.startsWith('audio/') || mime.startsWith('video/') || mime === 'application/ogg';
    case 'document':
      return mime === 'application/pdf' || mime.startsWith('text/') || mime === 'application/json' || mime.startsWith('image/');
  }
}

/** The media type without parameters ("text/plain; charset=utf-8" -> "text/plain"), or undefined. */
export function bareMediaType(header: string | undefined): string | undefined {
  const type = header?.split(';')[0].trim().toLowerCase();
  return type && /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : undefined;
}
