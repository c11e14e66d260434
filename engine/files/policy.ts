/**
 * Which files of the worker's disk a run may read (nodes that declare `access.localFiles`, such as
 * load-file). Runs started by the local CLI read what the user can read: it is their machine. Every
 * other run (API, webhooks, schedules, or a plan that does not say where it came from) may read only
 * under the configured roots (TESSERA_FILE_ROOTS / --file-root), never inside the data folder or the
 * kernel's pseudo-filesystems, and not at all when no root is configured.
 *
 * This file is the lexical half, shared by API validation and the worker; the worker adds the
 * symlink-proof half (local-files.ts).
 */
import path from 'node:path';

export interface FilePolicy {
  /** Absolute folders that non-CLI runs may read under; relative paths resolve against the first. Empty: none. */
  readonly roots: readonly string[];
  /** Absolute folders refused even under a root (the data folder: blobs, SQLite store, Temporal's database). */
  readonly denied: readonly string[];
}

/** Where a run came from. Only `cli` (the local `tessera run`) is trusted with the whole disk. */
export type RunOrigin = 'api' | 'cli';

/** Kernel pseudo-filesystems: /proc/self/environ holds the worker's provider keys. Always refused. */
export const SYSTEM_DENIED: readonly string[] = ['/proc', '/sys', '/dev'];

export function filePolicy(roots: readonly string[], dataDir: string | undefined): FilePolicy {
  return {
    roots: roots.map((r) => path.resolve(r)),
    denied: [...(dataDir ? [path.resolve(dataDir)] : []), ...SYSTEM_DENIED],
  };
}

/** Runs that are not from the CLI read nothing unless roots are configured. */
export const NO_FILE_ROOTS: FilePolicy = filePolicy([], undefined);

/** `child` is `parent` or lies beneath it (both absolute and normalised). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

/**
 * The absolute path a non-CLI run would read for `given`, judged on the text alone: relative paths
 * resolve against the first root (never the worker's working folder), `..` is normalised away before
 * the containment check, and the result must be under a root and outside every denied folder.
 * Reasons name only what the pipeline gave, never the resolved system path.
 */
export function checkPathText(given: string, policy: FilePolicy): PathCheck {
  if (policy.roots.length === 0) {
    return { ok: false, reason: `"${given}": this server allows no local files for runs that do not come from the local CLI (no TESSERA_FILE_ROOTS or --file-root)` };
  }
  if (given.includes('\0')) return { ok: false, reason: `"${given.replaceAll('\0', '\\0')}" contains a NUL character` };
  const candidate = path.isAbsolute(given) ? path.normalize(given) : path.resolve(policy.roots[0]!, given);
  if (!policy.roots.some((root) => isInside(candidate, root))) {
    return { ok: false, reason: `"${given}" is outside the allowed folders (TESSERA_FILE_ROOTS)` };
  }
  if (policy.denied.some((folder) => isInside(candidate, folder))) {
    return { ok: false, reason: `"${given}" is inside Tessera's data folder or a system folder, which runs may never read` };
  }
  return { ok: true, path: candidate };
}
