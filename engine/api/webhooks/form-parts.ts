/**
 * The parts of a multipart body read from any stream (here: a signed webhook body spooled to a file and
 * verified), in the shape `request.parts()` of @fastify/multipart yields, so that run-form.ts reads both
 * alike. Built on @fastify/busboy, the parser @fastify/multipart itself uses. Parts come one at a time: a
 * file's stream must be read (or resumed) before the next part is parsed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Busboy, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import { apiError } from '../errors.ts';
import type { FormPart } from '../runs/run-form.ts';

export interface FormLimits {
  fileSize: number;
  files: number;
  fields: number;
}

export async function* formParts(source: Readable, headers: IncomingHttpHeaders, limits: FormLimits): AsyncGenerator<FormPart> {
  let parser: BusboyInstance;
  try {
    parser = Busboy({ headers: headers as BusboyHeaders, limits });
  } catch (err) {
    throw apiError('REQUEST_INVALID', `The multipart form cannot be read: ${(err as Error).message}`);
  }
  const queue: (FormPart | Error | null)[] = [];
  let wake: (() => void) | undefined;
  const push = (item: FormPart | Error | null) => {
    queue.push(item);
    wake?.();
    wake = undefined;
  };
  const tooMany = (what: string, limit: number) => apiError('PAYLOAD_TOO_LARGE', `The form has more than ${limit} ${what}.`, { limit });
  parser.on('field', (fieldname, value) => push({ type: 'field', fieldname, value }));
  parser.on('file', (fieldname, file, filename, _encoding, mimetype) => push({ type: 'file', fieldname, filename, mimetype, file }));
  parser.on('filesLimit', () => push(tooMany('files', limits.files)));
  parser.on('fieldsLimit', () => push(tooMany('fields', limits.fields)));
  parser.on('finish', () => push(null));
  parser.on('error', (err: unknown) => push(apiError('REQUEST_INVALID', `The multipart form cannot be read: ${(err as Error)?.message ?? String(err)}`)));
  source.once('error', (err) => push(err));
  source.pipe(parser);
  try {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const item = queue.shift()!;
      if (item === null) return;
      if (item instanceof Error) throw item;
      yield item;
    }
  } finally {
    source.unpipe(parser);
    source.destroy();
    // Files the reader never took: drop their bytes so nothing waits on them.
    for (const item of queue) if (item && !(item instanceof Error) && item.type === 'file') item.file.resume();
  }
}
