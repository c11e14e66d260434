/**
 * The worker's half of the local-file rule (see policy.ts): what a node's `ctx.files.resolve(path)`
 * does. For non-CLI runs the path must pass the lexical check and then, resolved with realpath (so
 * that no symbolic link, at any depth, leads out), still lie under a root's real path and outside
 * every denied folder's real path. Every refusal is a non-retryable NodeError naming the path as the
 * pipeline gave it.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { NodeError, type LocalFiles } from '../node-sdk/define-node.ts';
import { checkPathText, isInside, NO_FILE_ROOTS, type FilePolicy, type RunOrigin } from './policy.ts';

export function localFiles(policy: FilePolicy = NO_FILE_ROOTS, origin: RunOrigin | undefined): LocalFiles {
  return {
    async resolve(given: string): Promise<string> {
      // The local CLI's runs read what the user running them can read, relative to their folder.
      if (origin === 'cli') return path.resolve(given);
      const text = checkPathText(given, policy);
      if (!text.ok) throw notAllowed(`File ${text.reason}; it was not read.`);
      let real: string;
      try {
        real = await realpath(text.path);
      } catch {
        throw new NodeError('INPUT_FILE_NOT_FOUND', `File "${given}" does not exist or cannot be read.`, { retryable: false });
      }
      const roots = await realPaths(policy.roots);
      const denied = [...policy.denied, ...(await realPaths(policy.denied))];
      if (!roots.some((root) => isInside(real, root)) || denied.some((folder) => isInside(real, folder))) {
        throw notAllowed(`File "${given}" leads (through a symbolic link) outside the allowed folders; it was not read.`);
      }
      return real;
    },
  };
}

/** For nodes that did not declare `access.localFiles`: reaching for the disk is a bug in the node. */
export const NO_LOCAL_FILES: LocalFiles = {
  resolve: (given) =>
    Promise.reject(new NodeError('FILE_NOT_ALLOWED', `This node type does not declare access.localFiles, so it may not read "${given}".`, { retryable: false })),
};

function notAllowed(message: string): NodeError {
  return new NodeError('FILE_NOT_ALLOWED', message, { retryable: false });
}

/** Real paths of existing folders (a root that does not exist allows nothing). */
async function realPaths(folders: readonly string[]): Promise<string[]> {
  const found = await Promise.all(folders.map((f) => realpath(f).catch(() => undefined)));
  return found.filter((f): f is string => f !== undefined);
}
