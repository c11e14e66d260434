/**
 * Light commands load only what they need: `--help`, `validate` and `nodes` must not load the Temporal SDK,
 * the provider SDKs, the AWS SDK, sharp, tesseract, mupdf, SQLite or the HTTP server (they used to load all of them,
 * seconds of CPU before anything was printed).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ROOT } from '../support/cli.ts';

const HEAVY = /^(sharp|tesseract\.js|openai|@anthropic-ai\/sdk|@aws-sdk\/.+|@temporalio\/.+|mupdf|better-sqlite3|fastify|prom-client)$/;

function packagesLoadedBy(args: string[]): { code: number | null; heavy: string[]; stdout: string } {
  const result = spawnSync(process.execPath, ['--import', './test/support/load-recorder-register.mjs', 'bin/tessera.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const loaded = result.stderr.split('\n').filter((l) => l.startsWith('loaded-package ')).map((l) => l.slice('loaded-package '.length));
  return { code: result.status, heavy: [...new Set(loaded.filter((p) => HEAVY.test(p)))].sort(), stdout: result.stdout };
}

for (const args of [['--help'], ['validate', 'examples/voice-note-to-summary.pipeline.json'], ['nodes']]) {
  test(`tessera ${args[0]} loads no heavy package`, () => {
    const { code, heavy, stdout } = packagesLoadedBy(args);
    assert.equal(code, 0, stdout);
    assert.deepEqual(heavy, []);
  });
}
