import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { mediaKindAccepts } from '../../engine/blob/media-kind.ts';
import { defineNode, NodeError } from '../../engine/node-sdk/define-node.ts';

/**
 * Loads a file from the worker's disk into the blob store (media) or as text. It declares
 * `access.localFiles`, so pipelines sent through the API may use it only when the server has allowed
 * folders, and then only for paths under them (engine/files/); the local `tessera run` reads any path.
 */
export const loadFileNode = defineNode({
  type: 'load-file',
  version: 1,
  title: 'Load file',
  category: 'Files',
  description:
    'Reads a file from the worker\'s file system by path. Media kinds become blob references; text is read as UTF-8. ' +
    'Runs started through the API may read only under the worker\'s allowed folders (TESSERA_FILE_ROOTS).',
  params: z.object({
    path: z.string().min(1).describe('Absolute path, or relative to the working folder (local CLI runs) or to the first allowed folder (API runs).'),
    kind: z.enum(['image', 'audio', 'document', 'text']).describe('What the file holds.'),
  }),
  inputs: {},
  outputs: (params) => ({ value: { kind: params.kind } }),
  execution: { startToCloseTimeout: '10m', heartbeatTimeout: '30s', cacheable: false },
  access: { localFiles: { paths: (params) => [params.path] } },
  run: async (ctx, _inputs, params) => {
    const file = await ctx.files.resolve(params.path);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new NodeError('INPUT_FILE_NOT_FOUND', `File "${params.path}" does not exist or is not a file.`);
    if (params.kind === 'text') return { value: await readFile(file, 'utf8') };
    const ref = await ctx.blobs.put(createReadStream(file), { name: path.basename(params.path) });
    if (!mediaKindAccepts(params.kind, ref.mime)) {
      throw new NodeError('NODE_INPUT_INVALID', `File "${params.path}" is ${ref.mime}, not ${params.kind}.`);
    }
    return { value: ref };
  },
});
