/**
 * The validation step for pipelines that arrive through the API: a node that declares
 * `access.localFiles` is refused outright when the server allows no folders (NODE_NOT_ALLOWED), and
 * otherwise each path its params name must pass the lexical check (FILE_NOT_ALLOWED). The worker checks
 * again with symlinks resolved when the run reads the file (engine/files/local-files.ts).
 */
import { codedError, type CodedError } from '../errors.ts';
import { checkPathText, type FilePolicy } from '../files/policy.ts';
import type { ResolvedNode } from './validate.ts';

export function checkLocalFiles(nodes: Map<string, ResolvedNode>, policy: FilePolicy): CodedError[] {
  const errors: CodedError[] = [];
  for (const [id, { definition, params }] of nodes) {
    const access = definition.access.localFiles;
    if (!access) continue;
    if (policy.roots.length === 0) {
      errors.push(
        codedError(
          'NODE_NOT_ALLOWED',
          `Node "${id}" (${definition.type}) reads files on the worker's disk, which pipelines sent through the API may not do on this server (no allowed folders: TESSERA_FILE_ROOTS or --file-root).`,
          { nodeId: id, details: { type: definition.type } },
        ),
      );
      continue;
    }
    for (const given of access.paths(params)) {
      const check = checkPathText(given, policy);
      if (!check.ok) errors.push(codedError('FILE_NOT_ALLOWED', `Node "${id}": file ${check.reason}.`, { nodeId: id, details: { path: given } }));
    }
  }
  return errors;
}
