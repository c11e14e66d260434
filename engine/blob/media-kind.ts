/**
 * Which sniffed media types count as each media port kind. One rule, used by run-input checks, the
 * load-file and transcribe nodes and the upload endpoint, so a file accepted in one place is accepted in all.
 */
export const MEDIA_PORT_KINDS = ['image', 'audio', 'document'] as const;
export type MediaPortKind = (typeof MEDIA_PORT_KINDS)[number];

export function mediaKindAccepts(kind: MediaPortKind, mime: string): boolean {
  switch (kind) {
    case 'image':
      return mime.startsWith('image/');
    case 'audio':
      // Browser recordings often arrive as webm/mp4 containers, Ogg as application/ogg.
      return mime.startsWith('audio/') || mime.startsWith('video/') || mime === 'application/ogg';
    case 'document':
      return mime === 'application/pdf' || mime.startsWith('text/') || mime === 'application/json' || mime.startsWith('image/');
  }
}
