/**
 * The editor bundle may hold only pure engine modules (port kinds and connectionRule, the pipeline schema,
 * error codes, the typed API client). This builds the editor (in memory) and fails when any module in it
 * needs Node built-ins, a provider SDK, Temporal or the server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { relative } from 'node:path';
import { ROOT } from '../support/cli.ts';

/** Engine modules the browser may run: pure code, no I/O. Anything else from engine/, nodes/ or workflows/ fails. */
const ALLOWED_ENGINE = [
  'engine/ports.ts', 'engine/pipeline/schema.ts', 'engine/pipeline/needed-nodes.ts', 'engine/pipeline/map-ports.ts', 'engine/api/schedules/interval.ts', 'engine/errors.ts', 'engine/api/client/client.ts', 'engine/api/client/sse-parse.ts',
  'engine/worker/spill.ts', 'engine/blob/ref.ts', 'engine/run/size-limits.ts', 'engine/byte-size.ts',
];
const FORBIDDEN_PACKAGES = ['openai', '@anthropic-ai', '@temporalio', 'fastify', '@fastify', 'better-sqlite3', 'sharp', 'mupdf', 'tesseract.js', 'pino', 'prom-client', 'commander', 'file-type'];

test('the editor bundle pulls in no Node built-in, SDK, Temporal or server module', { timeout: 120_000 }, async () => {
  const { build } = await import('vite');
  const ids = new Set<string>();
  await build({
    configFile: `${ROOT}editor/vite.config.ts`,
    logLevel: 'silent',
    build: { write: false, manifest: false },
    plugins: [{ name: 'collect-modules', moduleParsed: (info) => void ids.add(info.id), resolveId: (source) => (source.startsWith('node:') || builtinModules.includes(source) ? (ids.add(`builtin:${source}`), null) : null) }],
  });
  const files = [...ids].map((id) => (id.startsWith('builtin:') || id.includes('\0') ? id : relative(ROOT, id.split('?')[0])));
  assert.ok(files.includes('engine/ports.ts'), 'the editor uses the engine\'s connectionRule itself');

  const builtins = files.filter((f) => f.startsWith('builtin:') || f.includes('__vite-browser-external'));
  assert.deepEqual(builtins, [], 'Node built-ins reached by the editor bundle');
  const engine = files.filter((f) => /^(engine|nodes|workflows)\//.test(f) && !ALLOWED_ENGINE.includes(f));
  assert.deepEqual(engine, [], 'server-side engine modules in the editor bundle');
  const packages = files.filter((f) => FORBIDDEN_PACKAGES.some((p) => f.startsWith(`node_modules/${p}/`)));
  assert.deepEqual(packages, [], 'SDK or server packages in the editor bundle');
});
