/**
 * Reads a multipart form that starts a run: file fields (named after inputs, or `inputs.<name>`) are
 * streamed into the blob store as they arrive (size-limited, media type sniffed); text fields are
 * `inputs` (a JSON object), `version`, `wait`, `cache`, `budgetUsd`, and `<name>` / `inputs.<name>` input values. A field may
 * repeat for a list input. Turning the collected values into typed inputs is run-form-inputs.ts.
 *
 * Nothing is stored for a refused request: each file's input name is checked before a byte of it is
 * stored, and every blob is put under the request's undo log, which the caller rolls back if the request
 * fails later (an unknown name in the `inputs` field, a value of the wrong kind, ...).
 */
import type { Readable } from 'node:stream';
import type { BlobRef } from '../../blob/ref.ts';
import type { BlobUndo } from '../../blob/undo-log.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { feed, uploadGuard } from '../blobs/upload-guard.ts';
import { clientError } from '../blobs/upload-source.ts';
import { assertJsonDepth } from '../http/json-body.ts';

export interface RunForm {
  /** The `inputs` field, parsed. */
  inputs: Record<string, unknown>;
  /** Text values by input name, in the order received. */
  fields: Map<string, string[]>;
  /** Uploaded files by input name, in the order received. */
  files: Map<string, BlobRef[]>;
  version?: string;
  wait?: string;
  cache?: string;
  budgetUsd?: string;
}

/** One part of a form: what `request.parts()` of @fastify/multipart yields, and form-parts.ts for a spooled body. */
export type FormPart =
  | { type: 'file'; fieldname: string; filename?: string; mimetype?: string; file: Readable & { truncated?: boolean } }
  | { type: 'field'; fieldname: string; value?: unknown };

export interface ReadFormOptions {
  /** Every blob is put under this log; the caller rolls it back when the request fails. */
  undo: BlobUndo;
  /** Runs before a file is stored, with the input it is for and the form read so far; throws to refuse. */
  checkFile(input: string, form: RunForm): void | Promise<void>;
}

export async function readRunForm(parts: AsyncIterable<FormPart>, deps: Pick<ApiDeps, 'blobs' | 'maxUploadBytes'>, options: ReadFormOptions): Promise<RunForm> {
  const form: RunForm = { inputs: {}, fields: new Map(), files: new Map() };
  try {
    for await (const part of parts) {
      if (part.type === 'file') {
        const file = part.file;
        const input = inputName(part.fieldname);
        try {
          await options.checkFile(input, form);
        } catch (err) {
          file.resume(); // let the rest of the body flow so that the answer reaches the client
          throw err;
        }
        const guard = uploadGuard({ maxBytes: deps.maxUploadBytes, truncated: () => file.truncated === true });
        const ref = await deps.blobs.put(feed(file, guard), { name: cleanName(part.filename), mime: part.mimetype || undefined, undo: options.undo });
        push(form.files, input, ref);
        continue;
      }
      const value = typeof part.value === 'string' ? part.value : String(part.value ?? '');
      if (part.fieldname === 'inputs') form.inputs = { ...form.inputs, ...parseInputsField(value) };
      else if (part.fieldname === 'version') form.version = value;
      else if (part.fieldname === 'wait') form.wait = value;
      else if (part.fieldname === 'cache') form.cache = value;
      else if (part.fieldname === 'budgetUsd') form.budgetUsd = value;
      else push(form.fields, inputName(part.fieldname), value);
    }
  } catch (err) {
    throw clientError(err);
  }
  return form;
}

/** `inputs.audio` and `audio` both name the input "audio" (the prefixed form also reaches inputs named like a reserved field). */
function inputName(fieldname: string): string {
  return fieldname.startsWith('inputs.') ? fieldname.slice('inputs.'.length) : fieldname;
}

function parseInputsField(value: string): Record<string, unknown> {
  assertJsonDepth(value, 'The "inputs" field');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw apiError('REQUEST_INVALID', 'The "inputs" field must be a JSON object.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw apiError('REQUEST_INVALID', 'The "inputs" field must be a JSON object.');
  return parsed as Record<string, unknown>;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The last path segment, without control characters. */
function cleanName(name: string | undefined): string | undefined {
  // eslint-disable-next-line no-control-regex
  const base = name?.split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return base || undefined;
}
