/**
 * Reads a multipart request that starts a run: file fields (named after inputs, or `inputs.<name>`) are
 * streamed into the blob store as they arrive (size-limited, media type sniffed); text fields are
 * `inputs` (a JSON object), `version`, `wait`, and `<name>` / `inputs.<name>` input values. A field may
 * repeat for a list input. Turning the collected values into typed inputs is run-form-inputs.ts.
 */
import type { FastifyRequest } from 'fastify';
import type { BlobRef } from '../../blob/ref.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { feed, uploadGuard } from '../blobs/upload-guard.ts';
import { clientError } from '../blobs/upload-source.ts';

export interface RunForm {
  /** The `inputs` field, parsed. */
  inputs: Record<string, unknown>;
  /** Text values by input name, in the order received. */
  fields: Map<string, string[]>;
  /** Uploaded files by input name, in the order received. */
  files: Map<string, BlobRef[]>;
  version?: string;
  wait?: string;
}

export async function readRunForm(request: FastifyRequest, deps: Pick<ApiDeps, 'blobs' | 'maxUploadBytes'>): Promise<RunForm> {
  const form: RunForm = { inputs: {}, fields: new Map(), files: new Map() };
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const file = part.file as typeof part.file & { truncated?: boolean };
        const guard = uploadGuard({ maxBytes: deps.maxUploadBytes, truncated: () => file.truncated === true });
        const ref = await deps.blobs.put(feed(file, guard), { name: cleanName(part.filename), mime: part.mimetype || undefined });
        push(form.files, inputName(part.fieldname), ref);
        continue;
      }
      const value = typeof part.value === 'string' ? part.value : String(part.value ?? '');
      if (part.fieldname === 'inputs') form.inputs = { ...form.inputs, ...parseInputsField(value) };
      else if (part.fieldname === 'version') form.version = value;
      else if (part.fieldname === 'wait') form.wait = value;
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
