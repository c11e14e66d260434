/**
 * Issue 7 item 2, server with allowed folders: load-file through the API reads files under them and
 * nothing else. Paths that are plainly outside (/proc, /etc, `..`, the data folder) are refused when the
 * pipeline is saved; a symbolic link inside a root that leads out passes the save (its text is inside)
 * and is refused by the worker when the run reads it. The data folder lies under the second root here
 * (the temp folder), so it is refused as the data folder, not merely as "outside".
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { loadFilePipeline } from '../support/fixtures.ts';

let env: ApiEnv;
let root: string;
let outside: string;

before(async () => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'tessera-root-')));
  // Outside both roots (the temp folder is the second one), so only a link can lead there.
  outside = mkdtempSync(path.join(os.homedir(), '.tessera-outside-'));
  writeFileSync(path.join(outside, 'secret.txt'), 'the secret outside');
  mkdirSync(path.join(root, 'notes'));
  writeFileSync(path.join(root, 'notes', 'hello.txt'), 'hello from the root');
  env = await startApiEnv({ fileRoots: [root, os.tmpdir()] });
  symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'escape.txt'));
  symlinkSync(env.dir, path.join(root, 'data')); // the data folder, reached through a link
});
after(async () => {
  await env.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});


async function runOf(filePath: string): Promise<any> {
  const saved = await env.request('POST', '/api/v1/pipelines', { body: loadFilePipeline(filePath) });
  assert.equal(saved.status, 201, `${filePath}: ${saved.text}`);
  const run = await env.request('POST', `/api/v1/pipelines/${saved.json.pipeline.id}/runs?wait=60`, { body: { inputs: {} } });
  assert.equal(run.status, 200, run.text);
  return run.json;
}

test('files under an allowed folder load, by relative or absolute path', async () => {
  for (const filePath of ['notes/hello.txt', path.join(root, 'notes', 'hello.txt')]) {
    const run = await runOf(filePath);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.outputs.text, 'hello from the root');
  }
});

test('/proc, /etc, .. and the data folder are refused at save, naming the node and the path as given', async () => {
  const before = (await env.request('GET', '/api/v1/pipelines')).json.items.length;
  const refused = ['/proc/self/environ', '/etc/passwd', '../../../etc/passwd', 'notes/../../../etc/passwd', path.join(env.dir, 'tessera.db'), path.join(outside, 'secret.txt')];
  for (const filePath of refused) {
    const response = await env.request('POST', '/api/v1/pipelines', { body: loadFilePipeline(filePath) });
    assert.equal(response.status, 400, `${filePath}: ${response.text}`);
    assert.equal(response.json.error.code, 'FILE_NOT_ALLOWED', filePath);
    const [error] = response.json.error.details.errors;
    assert.equal(error.nodeId, 'read');
    assert.equal(error.details.path, filePath);
    const report = await env.request('POST', '/api/v1/pipelines/validate', { body: loadFilePipeline(filePath) });
    assert.deepEqual(report.json.errors.map((e: any) => e.code), ['FILE_NOT_ALLOWED'], filePath);
  }
  assert.equal((await env.request('GET', '/api/v1/pipelines')).json.items.length, before, 'a refused pipeline was stored');
});

test('a symbolic link inside a root that leads outside, or into the data folder, is refused by the worker', async () => {
  for (const filePath of ['escape.txt', 'data/tessera.db']) {
    const run = await runOf(filePath);
    assert.equal(run.status, 'failed', filePath);
    assert.equal(run.error.code, 'NODE_FAILED');
    assert.equal(run.error.nodeId, 'read');
    assert.equal(run.error.details.code, 'FILE_NOT_ALLOWED', run.error.message);
    assert.equal(run.nodes.read.attempt, 1, 'a refusal is not retried');
    const record = JSON.stringify(run);
    assert.ok(record.includes(`"${filePath}\\"`), `the message names the path as given: ${run.error.message}`);
    for (const leak of [outside, env.dir, 'the secret outside']) assert.ok(!record.includes(leak), `the run record contains ${leak}`);
  }
});
