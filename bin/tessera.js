#!/usr/bin/env node
// The `tessera` command. It runs the compiled JavaScript in dist/ (built on `npm install` by `prepare`, or
// by `npm run build:cli`) when that build is of the sources as they are now (bin/build-state.mjs), and
// otherwise the TypeScript sources through tsx: slower to start (they are compiled at every start), but
// never old code after a `git pull` or an edit. TESSERA_FROM_SOURCE=1 always runs the sources.
import { fileURLToPath } from 'node:url';
import { buildState } from './build-state.mjs';

const state = process.env.TESSERA_FROM_SOURCE === '1' ? 'source' : buildState(fileURLToPath(new URL('../', import.meta.url)));
if (state === 'fresh') {
  await import('../dist/engine/cli/main.js');
} else {
  // Said on a terminal only: scripts reading stderr get the command's own lines.
  if (state !== 'source' && process.stderr.isTTY) {
    const why = state === 'stale' ? 'the sources changed since dist/ was built' : 'dist/ is not built';
    process.stderr.write(`tessera: ${why}; running the TypeScript sources through tsx (slower start; npm run build:cli compiles them)\n`);
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('../engine/cli/main.ts');
}
