/**
 * `tessera run --from-run RUN --from NODE` and `--to NODE` against a `tessera dev`: the earlier run is read
 * from its Temporal history (its CLI worker is gone by then), upstream nodes do not run again (the test
 * nodes journal every execution), and mistakes are coded errors.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startDev, tessera, type DevProcess } from '../support/cli.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-partial-cli-'));
const journal = path.join(dir, 'journal.jsonl');
let dev: DevProcess;
before(async () => {
  dev = await startDev(path.join(dir, 'data'), {}, ['--no-api']);
});
after(async () => {
  await dev?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const file = path.join(dir, 'chain.pipeline.json');
writeFileSync(
  file,
  JSON.stringify({
    format: 'tessera.pipeline/v1',
    name: 'chain',
    nodes: [
      { id: 'who', type: 'input', params: { name: 'who', kind: 'text' } },
      { id: 'c1', type: 'test-count', params: { journal } },
      { id: 'c2', type: 'test-count', params: { journal } },
      { id: 'out', type: 'output', params: { name: 'out' } },
    ],
    edges: [
      { from: 'who.value', to: 'c1.in' },
      { from: 'c1.out', to: 'c2.in' },
      { from: 'c2.out', to: 'out.value' },
    ],
  }),
);
const ran = (): string[] => (existsSync(journal) ? readFileSync(journal, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).node) : []);
const run = async (...args: string[]) => {
  const result = await tessera(['run', file, '--plugin', './test/support/test-nodes.ts', '--json', ...args], { env: dev.env });
  return { ...result, body: JSON.parse(result.stdout || '{}') };
};

test('--from-run/--from reuses the earlier run\'s upstream outputs and inputs; --to runs only what a node needs', async () => {
  const first = await run('--input', 'who=Ada:');
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.body.outputs.out, 'Ada:c1;c2;');
  const before = ran().length;

  const again = await run('--from-run', first.body.runId, '--from', 'c2');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.body.outputs.out, 'Ada:c1;c2;', 'the earlier input and c1\'s output were reused');
  assert.deepEqual(ran().slice(before), ['c2'], 'only c2 ran');

  const to = await run('--to', 'c1', '--input', 'who=Bo:');
  assert.equal(to.code, 0, to.stderr);
  assert.deepEqual(to.body.outputs, {}, 'no output node in a run to c1');
  assert.deepEqual(ran().slice(before + 1), ['c1']);
});

test('partial-run mistakes are coded errors and run nothing', async () => {
  const before = ran().length;
  const noRun = await run('--from', 'c2');
  assert.notEqual(noRun.code, 0);
  assert.equal(noRun.body.error.code, 'REQUEST_INVALID');
  const unknown = await run('--from-run', 'run-that-never-was', '--from', 'c2');
  assert.equal(unknown.body.error.code, 'RUN_NOT_FOUND');
  const badNode = await run('--to', 'nope');
  assert.equal(badNode.body.error.code, 'RUN_NODE_NOT_FOUND');
  assert.equal(ran().length, before);
});
