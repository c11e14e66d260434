/**
 * Pipeline files over HTTP: reading an imported file (multipart file field, or the body itself as JSON or
 * text) and naming an exported one.
 */
import type { FastifyRequest } from 'fastify';
import { apiError } from '../errors.ts';
import { clientError } from '../blobs/upload-source.ts';

/** A pipeline file is small; this bounds what an import may hold in memory (the JSON body limit too). */
export const MAX_PIPELINE_FILE_BYTES = 10 * 1024 * 1024;

/** The text of the imported file. The route's parsers hand JSON and text bodies over unparsed. */
export async function importedText(request: FastifyRequest): Promise<string> {
  if (!request.isMultipart()) {
    if (typeof request.body !== 'string' || request.body.length === 0) throw apiError('FILE_UNREADABLE', 'Send the pipeline file as the body (application/json) or as a multipart file field.');
    return request.body;
  }
  const part = await request.file().catch((err: unknown) => {
    throw clientError(err);
  });
  if (!part) throw apiError('FILE_UNREADABLE', 'The multipart form has no file field; send the pipeline file in a field named "file".');
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of part.file) {
      size += (chunk as Buffer).length;
      if (size > MAX_PIPELINE_FILE_BYTES) throw apiError('PAYLOAD_TOO_LARGE', `A pipeline file may hold at most ${MAX_PIPELINE_FILE_BYTES} bytes.`);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    throw clientError(err);
  }
  if ((part.file as { truncated?: boolean }).truncated) throw apiError('PAYLOAD_TOO_LARGE', 'The pipeline file is larger than the upload limit.');
  if (size === 0) throw apiError('FILE_UNREADABLE', 'The pipeline file is empty.');
  return Buffer.concat(chunks).toString('utf8');
}

/** `attachment; filename="<name>.pipeline.json"`, ASCII only so that no name can break the header. */
export function attachmentFor(pipelineName: string): string {
  const slug = pipelineName
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 100);
  return `attachment; filename="${slug || 'pipeline'}.pipeline.json"`;
}
