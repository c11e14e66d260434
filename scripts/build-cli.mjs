// Compiles the engine, the nodes and the workflows to JavaScript in dist/ (tsconfig.build.json), which
// bin/tessera.js runs instead of the TypeScript sources: no compiling at every start. Runs on `npm install`
// (`prepare`), as `npm run build:cli` (and `npm run build`), and before the tests (`--if-stale`: only when
// a source changed since the last build).
//
// Emit only (noCheck): `npm run typecheck` checks the types. The relative `.ts` imports become `.js`
// (rewriteRelativeImportExtensions); the other files read at run time (prices.json, child-guard.mjs) are
// copied next to the compiled modules. The build goes to a folder of its own and replaces dist/ at the
// end, with dist/build-info.json saying what it was built from (bin/build-state.mjs), so a command
// started during a build runs the sources, never half a build. TypeScript is a dev dependency: an install
// without them (--omit=dev) skips the build, and the command runs its sources through tsx.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_INFO, buildInputs, buildState, sourceStamp } from '../bin/build-state.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
if (process.argv.includes('--if-stale') && buildState(root) === 'fresh') process.exit(0);

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.warn('tessera: typescript is not installed (dev dependencies omitted?); the CLI is not compiled and runs its sources through tsx.');
  process.exit(0);
}

const started = Date.now();
// Taken before compiling: a file edited during the build makes it stale at once.
const stamp = sourceStamp(root);
const dist = path.join(root, 'dist');
const out = path.join(root, `dist.building-${process.pid}`);
rmSync(out, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root, stdio: 'inherit' });
  for (const file of buildInputs(root).filter((f) => !f.endsWith('.ts'))) {
    mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
    copyFileSync(path.join(root, file), path.join(out, file));
  }
  if (!existsSync(path.join(out, 'engine', 'cli', 'main.js'))) throw new Error('the build made no engine/cli/main.js');
  writeFileSync(path.join(out, path.relative('dist', BUILD_INFO)), `${JSON.stringify({ ...stamp, builtAt: new Date().toISOString() }, null, 2)}\n`);
  // Swap the new build in: the old one is moved aside first (renaming over a folder fails), then removed.
  // Running commands import their modules by path, so they load the new build's from then on, as they
  // would load edited sources. Another build finishing at the same moment: try again.
  const olds = [];
  for (let attempt = 0; ; attempt++) {
    const old = `${dist}.old-${process.pid}-${attempt}`;
    try {
      renameSync(dist, old);
      olds.push(old);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    try {
      renameSync(out, dist);
      break;
    } catch (err) {
      if (attempt >= 5 || (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST')) throw err;
    }
  }
  for (const old of olds) rmSync(old, { recursive: true, force: true });
} catch (err) {
  rmSync(out, { recursive: true, force: true });
  console.error(`tessera: compiling the CLI failed: ${err.message}`);
  process.exit(1);
}
console.log(`tessera: CLI compiled into dist/ (${stamp.files} files) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
