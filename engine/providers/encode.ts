/**
 * Encodings and checks shared by the provider implementations. A wrong media type or an oversized
 * upload is caught here, before any bytes are sent, as a non-retryable error: the provider would
 * refuse it on every attempt.
 */
import { providerError, type CallContext } from './errors.ts';
import { mediaBytes, type MediaFile, type MediaPart } from './types.ts';

/** Image types both OpenAI and Anthropic accept in chat. */
export const CHAT_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;
export type ChatImageType = (typeof CHAT_IMAGE_TYPES)[number];

export function chatImageType(part: MediaPart, ctx: CallContext): ChatImageType {
  const mime = normaliseMime(part.mime);
  if ((CHAT_IMAGE_TYPES as readonly string[]).includes(mime)) return mime as ChatImageType;
  throw providerError('PROVIDER_MEDIA_UNSUPPORTED', ctx, `images of type ${part.mime} are not accepted (use ${CHAT_IMAGE_TYPES.join(', ')}).`);
}

export function dataUrl(part: MediaPart, mime = normaliseMime(part.mime)): string {
  return `data:${mime};base64,${part.data.toString('base64')}`;
}

export function assertUploadSize(part: MediaPart | MediaFile, maxBytes: number, ctx: CallContext): void {
  const bytes = mediaBytes(part);
  if (bytes > maxBytes) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    throw providerError('PROVIDER_MEDIA_UNSUPPORTED', ctx, `the upload is ${mb(bytes)}, over the ${mb(maxBytes)} limit; split it into chunks first.`);
  }
}

const AUDIO_EXTENSIONS: Record<string, string> = {
  'audio/mpeg': 'mp3', 'audio/mp3': 'mp3', 'audio/mp4': 'm4a', 'audio/m4a': 'm4a', 'audio/x-m4a': 'm4a',
  'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/wave': 'wav', 'audio/vnd.wave': 'wav',
  'audio/webm': 'webm', 'audio/ogg': 'ogg', 'audio/flac': 'flac', 'audio/x-flac': 'flac', 'video/mp4': 'mp4', 'video/webm': 'webm',
};

/** Transcription APIs infer the format from the file name's extension, so the name must carry the right one. */
export function uploadName(part: MediaPart | MediaFile): string {
  const ext = AUDIO_EXTENSIONS[normaliseMime(part.mime)];
  const base = (part.name ?? 'audio').replace(/[\\/]/g, '_');
  if (!ext || base.toLowerCase().endsWith(`.${ext}`)) return base;
  return `${base.replace(/\.[A-Za-z0-9]{1,5}$/, '')}.${ext}`;
}

function normaliseMime(mime: string): string {
  const m = mime.split(';')[0]!.trim().toLowerCase();
  return m === 'image/jpg' ? 'image/jpeg' : m;
}

/** Keys that keep a "no key" client from sending any credential header (local servers need none). */
export const NO_AUTH_HEADERS = { Authorization: null, 'x-api-key': null } as const;

/** Schema and tool names allow letters, digits, `_` and `-` only (both vendors, at most 64 characters). */
export function wireName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'answer';
}

/**
 * Both vendors want an object at the top of a structured-output schema. Any other schema (an array, a
 * string) is wrapped as `{ value: schema }` and unwrapped from the answer.
 */
export function objectSchema(schema: Record<string, unknown>): { schema: Record<string, unknown>; unwrap: (value: unknown) => unknown } {
  if (schema.type === 'object') return { schema, unwrap: (v) => v };
  return {
    schema: { type: 'object', properties: { value: schema }, required: ['value'], additionalProperties: false },
    unwrap: (v) => (v && typeof v === 'object' ? (v as Record<string, unknown>).value : v),
  };
}
