/**
 * Command-line mistakes that used to pass silently or fail obscurely: a single-valued input given twice
 * (the last one silently won), and a --server address without its scheme.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import { parseInputFlags } from '../../engine/cli/inputs.ts';
import { remoteRun } from '../../engine/cli/remote-run.ts';
import { TesseraError } from '../../engine/errors.ts';
import type { InputSpec } from '../../engine/run/inputs.ts';

const blobs = new FsBlobStore(mkdtempSync(path.join(os.tmpdir(), 'tessera-flags-')));
const specs: InputSpec[] = [
  { nodeId: 'who', name: 'who', kind: 'text', required: true },
  { nodeId: 'tags', name: 'tags', kind: 'text[]', required: false, default: [] },
];

test('a single-valued input given twice is refused; a list input may repeat', async () => {
  await assert.rejects(parseInputFlags(['who=Ada', 'who=Bob'], specs, blobs), (err: unknown) => {
    assert.ok(err instanceof TesseraError);
    assert.equal(err.code, 'RUN_INPUT_INVALID');
    assert.equal(err.message, 'Input "who" is given more than once, but it takes one value (text); only list inputs may be repeated.');
    return true;
  });
  assert.deepEqual(await parseInputFlags(['who=Ada', 'tags=a', 'tags=b'], specs, blobs), { who: 'Ada', tags: ['a', 'b'] });
});

test('--server without http:// or https:// is a usage error that shows the fix', async () => {
  await assert.rejects(remoteRun('examples/greeting.pipeline.json', { server: '127.0.0.1:8080' }), (err: unknown) => {
    assert.ok(err instanceof TesseraError);
    assert.equal(err.code, 'USAGE');
    assert.equal(err.message, '--server "127.0.0.1:8080" needs a scheme: http://127.0.0.1:8080 (or https://...).');
    return true;
  });
  await assert.rejects(remoteRun('x', { server: 'localhost:8080' }), /needs a scheme: http:\/\/localhost:8080/);
});
