import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { tessera } from '../support/cli.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-cli-validate-'));
const write = (name: string, content: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
};

test('validate accepts a valid pipeline with exit 0', async () => {
  const result = await tessera(['validate', 'examples/greeting.pipeline.json']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /valid \(greeting, 7 nodes, 6 edges\)/);
});

test('validate reports every coded error, naming nodes and ports, with exit 1', async () => {
  const file = write(
    'broken.json',
    JSON.stringify({
      format: 'tessera.pipeline/v1',
      name: 'broken',
      nodes: [
        { id: 'a', type: 'input', params: { name: 'a', kind: 'text' } },
        { id: 'b', type: 'json-pick', params: { path: 'x' } },
        { id: 'c', type: 'no-such-node' },
      ],
      edges: [{ from: 'a.value', to: 'b.json' }],
    }),
  );
  const result = await tessera(['validate', file]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /error INCOMPATIBLE_PORTS \[node "b" port "json"\]: .*text output cannot feed a json input/);
  assert.match(result.stderr, /error UNKNOWN_NODE_TYPE \[node "c"\]/);
  assert.equal(result.stdout, '');

  const json = await tessera(['validate', file, '--json']);
  const report = JSON.parse(json.stdout) as { valid: boolean; errors: { code: string }[] };
  assert.equal(report.valid, false);
  assert.deepEqual(report.errors.map((e) => e.code).sort(), ['INCOMPATIBLE_PORTS', 'UNKNOWN_NODE_TYPE']);
});

test('unreadable and non-JSON files end in one line, not a stack trace', async () => {
  for (const [file, code] of [
    [path.join(dir, 'missing.json'), 'FILE_UNREADABLE'],
    [write('not-json.json', '{ "format": '), 'FILE_NOT_JSON'],
    [write('wrong.json', JSON.stringify({ format: 'other', nodes: [], edges: [] })), 'SCHEMA_INVALID'],
  ]) {
    const result = await tessera(['validate', file]);
    assert.equal(result.code, 1, file);
    assert.match(result.stderr, new RegExp(`^error ${code}`, 'm'));
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('an unknown command or flag is a usage error with exit 2', async () => {
  const result = await tessera(['frobnicate']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown command/);
});
