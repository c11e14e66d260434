/**
 * `tessera approve` and `tessera reject` as users run them (real processes, one `tessera dev` with its API):
 * locally, against a `tessera run` waiting in another process (the decision goes to the run's workflow on
 * the dev server's Temporal), and with --server through the API; their coded errors. Also a local `tessera
 * run` of a file whose `pipeline` node runs a pipeline saved in the data folder's store.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../engine/temporal/dev-server.ts';
import { ROOT, startDev, tessera, type CliResult, type DevProcess } from '../support/cli.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-cli-approvals-'));
let dev: DevProcess;
let api: string;

before(async () => {
  const port = await freePort();
  dev = await startDev(path.join(dir, 'data'), {}, ['--plugin', './test/support/test-nodes.ts', '--port', String(port)]);
  api = `http://127.0.0.1:${port}`;
});
after(async () => dev?.stop());

const write = (name: string, content: unknown) => {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};

/** fields (kind) -> review (approval, an hour to decide) -> approved. */
const reviewDoc = (name: string, kind: 'json' | 'text') => ({
  format: 'tessera.pipeline/v1',
  name,
  nodes: [
    { id: 'fields', type: 'input', params: { name: 'fields', kind } },
    { id: 'review', type: 'approval', params: { kind, instructions: 'Check it', timeout: '1h' } },
    { id: 'approved', type: 'output', params: { name: 'approved' } },
  ],
  edges: [
    { from: 'fields.value', to: 'review.value' },
    { from: 'review.value', to: 'approved.value' },
  ],
});

async function http(method: string, route: string, body?: unknown): Promise<any> {
  const response = await fetch(`${api}/api/v1${route}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, text };
}

/** A `tessera run` left running in the background; resolves its run id once it printed it. */
function runInBackground(args: string[]): { runId: Promise<string>; done: Promise<CliResult>; stderr: () => string } {
  const child = spawn(process.execPath, [`${ROOT}bin/tessera.js`, ...args], { cwd: ROOT, env: { ...process.env, TEMPORAL_ADDRESS: '', ...dev.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let found: (id: string) => void;
  const runId = new Promise<string>((resolve) => (found = resolve));
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    const match = /^run (\S+) started/m.exec(stderr);
    if (match) found(match[1]);
  });
  const done = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  void done.then((r) => found(`(exited ${r.code}: ${r.stderr})`));
  return { runId, done, stderr: () => stderr };
}

async function untilFinished(runId: string): Promise<any> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { status, json } = await http('GET', `/runs/${runId}`);
    if (status === 200 && json.status !== 'running' && json.status !== 'waiting') return json;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${json?.status ?? status}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Until the text read matches. */
async function untilLineMatches(read: () => string, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(read())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${read()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('locally, against a tessera run in another process', () => {
  test('approve with --value: the edited value is the run\'s output; the run printed how to decide', async () => {
    const file = write('review-json.json', reviewDoc('cli-review-json', 'json'));
    const run = runInBackground(['run', file, '-i', 'fields={"score":0.4}']);
    const runId = await run.runId;
    assert.match(runId, /^run-/, runId);
    await untilLineMatches(run.stderr, /node review waits for approval/);
    assert.match(run.stderr(), new RegExp(`node review waits for approval \\(Check it\\): tessera approve ${runId} review \\[--value <json>\\], or tessera reject ${runId} review`));

    const bad = await tessera(['approve', runId, 'review', '--value', '{not json'], { env: dev.env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error USAGE: --value must be JSON/m);
    const notWaiting = await tessera(['approve', runId, 'fields'], { env: dev.env });
    assert.equal(notWaiting.code, 1, notWaiting.stderr);
    assert.match(notWaiting.stderr, /^error NODE_NOT_WAITING \[node "fields"\]: Node "fields" is not an approval waiting for a decision\./m);
    const wrongKind = await tessera(['approve', runId, 'review', '--value', '"a text, not JSON of the object kind"', '--value-file', 'x'], { env: dev.env });
    assert.match(wrongKind.stderr, /^error USAGE: Give --value or --value-file, not both\./m);

    const approved = await tessera(['approve', runId, 'review', '--value', '{"score":0.9}', '--comment', 'checked', '--json'], { env: dev.env });
    assert.equal(approved.code, 0, approved.stderr);
    const answer = JSON.parse(approved.stdout);
    assert.deepEqual([answer.runId, answer.nodeId, answer.decision, answer.edited], [runId, 'review', 'approved', true]);
    // The node's state is asked of the run's worker, which may already be stopping with its finished run.
    if (answer.node) assert.equal(answer.node.status, 'succeeded');

    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /approved: \{\s*"score": 0\.9\s*\}/);
    // The dev API follows the local run (same data folder): the decision is recorded as this user's.
    const recorded = await untilFinished(runId);
    assert.equal(recorded.status, 'succeeded');
    assert.deepEqual(recorded.nodes.review.approval, { instructions: 'Check it', decision: 'approved', edited: true, by: os.userInfo().username, reason: 'checked' });

    const finished = await tessera(['approve', runId, 'review'], { env: dev.env });
    assert.equal(finished.code, 1);
    assert.match(finished.stderr, /^error NODE_NOT_WAITING \[node "review"\]: Run "run-[^"]+" has finished/m);
  });

  test('reject with --reason fails the run with APPROVAL_REJECTED; a value of the wrong kind is refused first', async () => {
    const file = write('review-text.json', reviewDoc('cli-review-text', 'text'));
    const run = runInBackground(['run', file, '-i', 'fields=draft', '--json']);
    const runId = await run.runId;
    // --json has no progress view: wait for the node through a refusal that changes nothing.
    const deadline = Date.now() + 60_000;
    let wrong: CliResult;
    for (;;) {
      wrong = await tessera(['approve', runId, 'review', '--value', '42'], { env: dev.env });
      if (/APPROVAL_VALUE_INVALID/.test(wrong.stderr) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^error APPROVAL_VALUE_INVALID \[node "review"\]: The edited value does not fit node "review": a text value is a string\./m);

    const rejected = await tessera(['reject', runId, 'review', '--reason', 'not this one'], { env: dev.env });
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.match(rejected.stdout, new RegExp(`^node "review" of run ${runId} rejected(; the node is now failed \\(APPROVAL_REJECTED: Approval rejected by \\S+: not this one\\.\\))?$`, 'm'));
    const result = await run.done;
    assert.equal(result.code, 1);
    const body = JSON.parse(result.stdout);
    assert.equal(body.status, 'failed');
    assert.equal(body.error.code, 'NODE_FAILED');
    assert.equal(body.error.nodeId, 'review');
    assert.match(body.error.message, /Approval rejected by \S+: not this one/);
  });

  test('an unknown run, and no Temporal server to ask', async () => {
    const unknown = await tessera(['reject', 'run-nope', 'review'], { env: dev.env });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error NODE_NOT_WAITING \[node "review"\]: Run "run-nope" has finished \(or does not exist in Temporal\)/m);
    const noServer = await tessera(['approve', 'run-nope', 'review'], { env: { TESSERA_TEMPORAL_PORT: String(await freePort()), TESSERA_DATA_DIR: path.join(dir, 'none') } });
    assert.equal(noServer.code, 1);
    assert.match(noServer.stderr, /^error TEMPORAL_UNREACHABLE: No Temporal server answers/m);
  });
});

describe('with --server, through the API', () => {
  let pipelineId: string;
  before(async () => {
    const saved = await http('POST', '/pipelines', reviewDoc('cli-server-review', 'json'));
    assert.equal(saved.status, 201, saved.text);
    pipelineId = saved.json.pipeline.id;
  });

  async function startWaiting(fields: unknown): Promise<string> {
    const started = await http('POST', `/pipelines/${pipelineId}/runs`, { inputs: { fields } });
    assert.equal(started.status, 202, started.text);
    const runId = started.json.id;
    const deadline = Date.now() + 60_000;
    while ((await http('GET', `/runs/${runId}`)).json.status !== 'waiting') {
      if (Date.now() > deadline) throw new Error(`run ${runId} never waited`);
      await new Promise((r) => setTimeout(r, 150));
    }
    return runId;
  }

  test('approve --value-file and reject --reason decide through the API', async () => {
    const runId = await startWaiting({ name: 'Ada' });
    const valueFile = write('edited.json', '{"name":"Ada Lovelace"}\n');
    const approved = await tessera(['approve', runId, 'review', '--server', api, '--value-file', valueFile], { env: dev.env });
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`^node "review" of run ${runId} approved with an edited value; the node is now succeeded$`, 'm'));
    const run = await untilFinished(runId);
    assert.deepEqual(run.outputs.approved, { name: 'Ada Lovelace' });

    const second = await startWaiting({ name: 'Bo' });
    const rejected = await tessera(['reject', second, 'review', '--reason', 'duplicate', '--json'], { env: { ...dev.env, TESSERA_SERVER: api } });
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.equal(JSON.parse(rejected.stdout).decision, 'rejected');
  });

  test('the API\'s coded refusals are the command\'s', async () => {
    const unknownRun = await tessera(['approve', 'run-nope', 'review', '--server', api], { env: dev.env });
    assert.equal(unknownRun.code, 1);
    assert.match(unknownRun.stderr, /^error RUN_NOT_FOUND: No run "run-nope"\./m);
    const runId = await startWaiting({ name: 'Cy' });
    const wrongNode = await tessera(['approve', runId, 'nope', '--server', api], { env: dev.env });
    assert.match(wrongNode.stderr, /^error RUN_NODE_NOT_FOUND: /m);
    const notWaiting = await tessera(['approve', runId, 'fields', '--server', api], { env: dev.env });
    assert.match(notWaiting.stderr, /^error NODE_NOT_WAITING: /m);
    const noScheme = await tessera(['approve', runId, 'review', '--server', '127.0.0.1:1'], { env: dev.env });
    assert.match(noScheme.stderr, /^error USAGE: --server "127\.0\.0\.1:1" needs a scheme/m);
    assert.equal((await tessera(['reject', runId, 'review', '--server', api], { env: dev.env })).code, 0);
  });
});

test('a local run of a file whose pipeline node runs a pipeline saved in the data folder\'s store', async () => {
  const child = await http('POST', '/pipelines', {
    format: 'tessera.pipeline/v1',
    name: 'cli-child',
    nodes: [
      { id: 'who', type: 'input', params: { name: 'who', kind: 'text' } },
      { id: 'tally', type: 'test-count', params: {} },
      { id: 'greeting', type: 'output', params: { name: 'greeting' } },
    ],
    edges: [{ from: 'who.value', to: 'tally.in' }, { from: 'tally.out', to: 'greeting.value' }],
  });
  assert.equal(child.status, 201, child.text);
  const parent = (pipeline: string) => ({
    format: 'tessera.pipeline/v1',
    name: 'cli-parent',
    nodes: [
      { id: 'name', type: 'input', params: { name: 'name', kind: 'text' } },
      { id: 'sub', type: 'pipeline', params: { pipeline } },
      { id: 'result', type: 'output', params: { name: 'result' } },
    ],
    edges: [{ from: 'name.value', to: 'sub.who' }, { from: 'sub.greeting', to: 'result.value' }],
  });
  const file = write('parent.json', parent(child.json.pipeline.id));
  const valid = await tessera(['validate', file, '--plugin', './test/support/test-nodes.ts'], { env: dev.env });
  assert.equal(valid.code, 0, valid.stderr);
  const run = await tessera(['run', file, '-i', 'name=Ada:', '--json', '--plugin', './test/support/test-nodes.ts'], { env: dev.env });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout).outputs, { result: 'Ada:tally;' });

  const missing = await tessera(['validate', write('parent-missing.json', parent('pl_missing'))], { env: dev.env });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error SUB_PIPELINE_NOT_FOUND \[node "sub"\]: /m);
});
