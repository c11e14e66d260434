// Is the compiled CLI in dist/ (scripts/build-cli.mjs: `npm run build:cli`, run on install by `prepare`)
// built from the sources as they are now? bin/tessera.js runs dist/ only then, and the TypeScript sources
// through tsx otherwise, so a `git pull` or an edit never leaves the command running old code.
//
// The build records the source files' count, the newest modification time among them and a hash of
// their paths and contents (dist/build-info.json). At start, the same count and no file newer than that
// time means fresh: a walk of about 220 files, 2-3 ms. Otherwise (a file added, removed, edited, or
// touched by git since; or an installed package, whose files npm wrote after the build) the contents are
// hashed again, about 10-15 ms: the same hash is fresh, another is stale.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The folders compiled into dist/. */
export const SOURCE_DIRS = ['engine', 'nodes', 'workflows'];
/** Where the build writes what it was built from. */
export const BUILD_INFO = path.join('dist', 'build-info.json');

/** A file the build compiles (TypeScript, tests aside) or copies (modules and data read at run time). */
export function isBuildInput(name) {
  if (name.startsWith('.')) return false;
  if (name.endsWith('.ts')) return !name.endsWith('.test.ts') && !name.endsWith('.d.ts');
  return name.endsWith('.mjs') || name.endsWith('.json');
}

/** The build inputs under `root` (relative paths, sorted). */
export function buildInputs(root) {
  const files = [];
  const walk = (rel) => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (isBuildInput(entry.name)) files.push(child);
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return files.sort();
}

/** How many build inputs there are and the newest modification time among them (ms). */
export function sourceTimes(root, files = buildInputs(root)) {
  let newest = 0;
  for (const file of files) newest = Math.max(newest, statSync(path.join(root, file)).mtimeMs);
  return { files: files.length, newest };
}

/** A hash of the build inputs' paths and contents. */
export function sourceHash(root, files = buildInputs(root)) {
  const hash = createHash('sha256');
  for (const file of files) hash.update(file.split(path.sep).join('/')).update('\0').update(readFileSync(path.join(root, file))).update('\0');
  return hash.digest('hex');
}

/** What dist/build-info.json records: count, newest time, hash. */
export function sourceStamp(root) {
  const files = buildInputs(root);
  return { ...sourceTimes(root, files), sha256: sourceHash(root, files) };
}

/**
 * 'fresh' (dist/ was built from the sources as they are), 'stale' (a source changed since, or the build
 * is unfinished) or 'missing' (no build).
 */
export function buildState(root) {
  let info;
  try {
    info = JSON.parse(readFileSync(path.join(root, BUILD_INFO), 'utf8'));
  } catch {
    try {
      statSync(path.join(root, 'dist', 'engine', 'cli', 'main.js'));
      return 'stale';
    } catch {
      return 'missing';
    }
  }
  const files = buildInputs(root);
  const now = sourceTimes(root, files);
  if (now.files === info.files && now.newest <= info.newest) return 'fresh';
  return sourceHash(root, files) === info.sha256 ? 'fresh' : 'stale';
}
