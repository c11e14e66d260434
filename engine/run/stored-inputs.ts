/**
 * Blob references given as run inputs, as the blob store knows them rather than as the client claims
 * them. A reference `{ sha256, mime, size, name }` from a request is only a pointer: its `mime` and
 * `size` may be anything (a text file called image/png). Each referenced blob must exist; for media
 * inputs (image, audio, document and their lists) its sniffed media type must fit the input's kind;
 * and the run gets the stored media type and size, with the name cleaned so it can never act as a path.
 */
import { cleanBlobName } from '../blob/name.ts';
import { MEDIA_PORT_KINDS, mediaKindAccepts, type MediaPortKind } from '../blob/media-kind.ts';
import { isBlobRef, type BlobRef } from '../blob/ref.ts';
import { sniffStored } from '../blob/sniff.ts';
import type { BlobStore } from '../blob/store.ts';
import { codedError, type CodedError } from '../errors.ts';
import { elementKind, isListKind } from '../ports.ts';
import type { ValidPipeline } from '../pipeline/validate.ts';
import { pipelineInputs } from './inputs.ts';

const WHAT: Record<MediaPortKind, string> = { image: 'an image', audio: 'audio', document: 'a document' };

export type StoredInputs = { ok: true; inputs: Record<string, unknown> } | { ok: false; errors: CodedError[] };

/** `inputs` must already have passed resolveRunInputs (names and shapes are right). */
export async function storedBlobInputs(valid: ValidPipeline, inputs: Record<string, unknown>, blobs: BlobStore): Promise<StoredInputs> {
  const specs = new Map(pipelineInputs(valid).map((spec) => [spec.name, spec]));
  const errors: CodedError[] = [];
  const checked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(inputs)) {
    const spec = specs.get(name);
    const element = spec && (isListKind(spec.kind) ? elementKind(spec.kind) : spec.kind);
    const media = (MEDIA_PORT_KINDS as readonly string[]).includes(element ?? '') ? (element as MediaPortKind) : undefined;
    const fail = (where: string, message: string) =>
      errors.push(codedError('RUN_INPUT_INVALID', `Input "${name}"${where}: ${message}.`, { ...(spec ? { nodeId: spec.nodeId } : {}), details: { input: name } }));

    const items = Array.isArray(value) ? value : [value];
    const stored: unknown[] = [];
    for (const [i, item] of items.entries()) {
      const where = Array.isArray(value) ? ` item ${i}` : '';
      if (!isBlobRef(item)) {
        stored.push(item);
        continue;
      }
      const stat = await blobs.stat(item);
      if (!stat) {
        fail(where, `blob ${item.sha256} was never uploaded`);
        continue;
      }
      if (!media) {
        stored.push(item); // a JSON value that happens to look like a reference: left as given
        continue;
      }
      const mime = await sniffStored(blobs, item);
      if (!mediaKindAccepts(media, mime)) {
        const claimed = item.mime !== mime ? ` (the request called it ${item.mime})` : '';
        fail(where, `the stored file is ${mime}${claimed}, which is not ${WHAT[media]}`);
        continue;
      }
      const cleanName = cleanBlobName(item.name);
      stored.push({ sha256: item.sha256, mime, size: stat.size, ...(cleanName ? { name: cleanName } : {}) } satisfies BlobRef);
    }
    checked[name] = Array.isArray(value) ? stored : stored[0];
  }
  return errors.length ? { ok: false, errors } : { ok: true, inputs: checked };
}
