/**
 * Control flow through the HTTP API, against a real Temporal dev server, worker and SQLite store (keys
 * required): approvals decided with POST /runs/:id/nodes/:nodeId/approve and reject (an edited value
 * reaching the outputs, a rejection failing the run, the coded refusals), the run's `waiting` status and
 * the node.waiting event; sub-pipelines: the child version pinned on save, cycles refused, and a run whose
 * child run is indexed (trigger pipeline), linked from the parent's node and followed to its end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { readSse } from '../support/api-runs.ts';

let env: ApiEnv;
let token: string;
before(async () => {
  env = await startApiEnv({ authRequired: true });
  token = (await env.deps.store.createApiKey('reviewer')).secret;
});
after(async () => env?.close());

const call = (method: string, route: string, body?: unknown) => env.request(method, route, { token, ...(body !== undefined ? { body } : {}) });

const doc = (name: string, nodes: Pipeline['nodes'], edges: [string, string][]): Pipeline => ({
  format: 'tessera.pipeline/v1',
  name,
  nodes,
  edges: edges.map(([from, to]) => ({ from, to })),
});

/** fields (json) -> review (approval) -> after (a 1.5 s sleep on the text, so the run is seen running again) -> outputs. */
function reviewPipeline(kind: 'json' | 'text' = 'json', onReject: 'fail' | 'skip' = 'fail', timeout: string | null = '1h'): Pipeline {
  return doc(
    `review-${kind}-${onReject}-${timeout ?? 'untimed'}`,
    [
      { id: 'fields', type: 'input', params: { name: 'fields', kind } },
      // A timeout of an hour (unless none): the approval waits for the decisions these tests send (and says until when).
      { id: 'review', type: 'approval', params: { kind, instructions: 'Check the extracted fields', onReject, ...(timeout ? { timeout } : {}) } },
      { id: 'approved', type: 'output', params: { name: 'approved' } },
      { id: 'note', type: 'input', params: { name: 'note', kind: 'text', default: 'n:' } },
      { id: 'after', type: 'test-sleep', params: { ms: 1500 } },
      { id: 'slept', type: 'output', params: { name: 'slept' } },
    ],
    [
      ['fields.value', 'review.value'],
      ['review.value', 'approved.value'],
      ['note.value', 'after.in'],
      ['after.out', 'slept.value'],
    ],
  );
}

async function save(pipeline: Pipeline): Promise<string> {
  const saved = await call('POST', '/api/v1/pipelines', pipeline);
  assert.equal(saved.status, 201, saved.text);
  return saved.json.pipeline.id;
}

async function start(pipelineId: string, inputs: Record<string, unknown>): Promise<string> {
  const started = await call('POST', `/api/v1/pipelines/${pipelineId}/runs`, { inputs });
  assert.equal(started.status, 202, started.text);
  return started.json.id;
}

async function poll<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Waits until the run's `review` node waits (as the API records it); returns the run. */
function untilWaiting(runId: string, nodeId = 'review'): Promise<any> {
  return poll(`node ${nodeId} of ${runId} waiting`, async () => {
    const { json } = await call('GET', `/api/v1/runs/${runId}`);
    return json.nodes?.[nodeId]?.status === 'waiting' && json.status === 'waiting' ? json : undefined;
  });
}

function untilFinished(runId: string): Promise<any> {
  return poll(`run ${runId} finished`, async () => {
    const { json } = await call('GET', `/api/v1/runs/${runId}`);
    return json.status !== 'running' && json.status !== 'waiting' ? json : undefined;
  });
}

describe('approvals', () => {
  let jsonReview: string;
  before(async () => {
    jsonReview = await save(reviewPipeline('json'));
  });

  test('a waiting approval makes the run waiting; approved with an edited value, the value reaches the outputs', async () => {
    const runId = await start(jsonReview, { fields: { name: 'Ada', score: 0.4 } });
    const waiting = await untilWaiting(runId);
    assert.equal(waiting.nodes.review.approval.instructions, 'Check the extracted fields');
    assert.ok(waiting.nodes.review.startedAt);
    const until = Date.parse(waiting.nodes.review.waitingUntil) - Date.parse(waiting.nodes.review.startedAt);
    assert.ok(Math.abs(until - 3_600_000) < 60_000, `waits until an hour after it started (${waiting.nodes.review.waitingUntil})`);
    const listed = await call('GET', `/api/v1/runs?pipelineId=${jsonReview}&status=waiting`);
    assert.deepEqual(listed.json.items.map((r: any) => r.id), [runId], 'listed as waiting');

    const approved = await call('POST', `/api/v1/runs/${runId}/nodes/review/approve`, { value: { name: 'Ada', score: 0.9 }, comment: 'score corrected' });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(approved.json.decision, 'approved');
    assert.equal(approved.json.edited, true);
    assert.deepEqual([approved.json.runId, approved.json.nodeId], [runId, 'review']);
    assert.equal(approved.json.node.status, 'succeeded', JSON.stringify(approved.json.node));
    assert.deepEqual(approved.json.node.approval, { instructions: 'Check the extracted fields', decision: 'approved', edited: true, by: 'reviewer', reason: 'score corrected' });

    // Back to running while the sleep after the decision goes on (the sleep started with the run, so it may be done already).
    const after = await call('GET', `/api/v1/runs/${runId}`);
    assert.ok(['running', 'succeeded'].includes(after.json.status), after.json.status);
    const run = await untilFinished(runId);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.deepEqual(run.outputs.approved, { name: 'Ada', score: 0.9 });
    assert.equal(run.nodes.review.approval.by, 'reviewer');
    const outputs = await call('GET', `/api/v1/runs/${runId}/nodes/review/outputs`);
    assert.deepEqual(outputs.json.outputs, { value: { name: 'Ada', score: 0.9 } });

    const sse = await readSse(`${env.url}/api/v1/runs/${runId}/events`, { authorization: `Bearer ${token}` });
    const types = sse.events.filter((e) => e.data.data.nodeId === 'review').map((e) => e.event);
    assert.deepEqual(types, ['node.started', 'node.waiting', 'node.succeeded']);
    const waitingEvent = sse.events.find((e) => e.event === 'node.waiting')!;
    assert.deepEqual(waitingEvent.data.data.approval, { instructions: 'Check the extracted fields' });
    assert.equal(waitingEvent.data.data.waitingUntil, waiting.nodes.review.waitingUntil);
    assert.equal(sse.events.at(-1)?.event, 'run.finished');

    const again = await call('POST', `/api/v1/runs/${runId}/nodes/review/approve`);
    assert.equal(again.status, 409, 'a finished run');
    assert.equal(again.json.error.code, 'NODE_NOT_WAITING');
  });

  test('approved as is (no body), the received value goes on; an approval without a timeout waits with no end', async () => {
    const untimed = await save(reviewPipeline('json', 'fail', null));
    const runId = await start(untimed, { fields: { name: 'Bo' } });
    const waiting = await untilWaiting(runId);
    assert.equal(waiting.nodes.review.waitingUntil, undefined);
    const approved = await env.request('POST', `/api/v1/runs/${runId}/nodes/review/approve`, { token });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(approved.json.edited, false);
    const run = await untilFinished(runId);
    assert.deepEqual(run.outputs.approved, { name: 'Bo' });
  });

  test('rejected with a reason: the run fails with APPROVAL_REJECTED on the node', async () => {
    const runId = await start(jsonReview, { fields: { name: 'Cy' } });
    await untilWaiting(runId);
    const rejected = await call('POST', `/api/v1/runs/${runId}/nodes/review/reject`, { reason: 'wrong patient' });
    assert.equal(rejected.status, 200, rejected.text);
    assert.equal(rejected.json.decision, 'rejected');
    const run = await untilFinished(runId);
    assert.equal(run.status, 'failed');
    assert.equal(run.error.code, 'NODE_FAILED');
    assert.equal(run.error.nodeId, 'review');
    assert.match(run.error.message, /rejected by reviewer: wrong patient/);
    assert.equal(run.nodes.review.status, 'failed');
    assert.equal(run.nodes.review.error.code, 'APPROVAL_REJECTED');
    assert.equal(run.nodes.review.approval.reason, 'wrong patient');
  });

  test('refusals: NODE_NOT_WAITING for a node that does not wait, APPROVAL_VALUE_INVALID for a value of the wrong kind, 404s', async () => {
    const textReview = await save(reviewPipeline('text'));
    const runId = await start(textReview, { fields: 'the summary' });
    await untilWaiting(runId);

    const notApproval = await call('POST', `/api/v1/runs/${runId}/nodes/after/approve`);
    assert.equal(notApproval.status, 409, notApproval.text);
    assert.equal(notApproval.json.error.code, 'NODE_NOT_WAITING');
    assert.match(notApproval.json.error.message, /"after"/);

    const wrongKind = await call('POST', `/api/v1/runs/${runId}/nodes/review/approve`, { value: 42 });
    assert.equal(wrongKind.status, 400, wrongKind.text);
    assert.equal(wrongKind.json.error.code, 'APPROVAL_VALUE_INVALID');
    const rejectWithValue = await call('POST', `/api/v1/runs/${runId}/nodes/review/reject`, { value: 'x' });
    assert.equal(rejectWithValue.status, 400, 'a reject body has no value field');
    assert.equal(rejectWithValue.json.error.code, 'REQUEST_INVALID');

    const unknownNode = await call('POST', `/api/v1/runs/${runId}/nodes/nope/approve`);
    assert.equal(unknownNode.status, 404);
    assert.equal(unknownNode.json.error.code, 'RUN_NODE_NOT_FOUND');
    for (const action of ['approve', 'reject']) {
      const unknownRun = await call('POST', `/api/v1/runs/run-nope/nodes/review/${action}`);
      assert.equal(unknownRun.status, 404);
      assert.equal(unknownRun.json.error.code, 'RUN_NOT_FOUND');
    }
    const anonymous = await env.request('POST', `/api/v1/runs/${runId}/nodes/review/approve`);
    assert.equal(anonymous.status, 401);

    // Still waiting after the refusals: a good value is taken.
    assert.equal((await call('GET', `/api/v1/runs/${runId}`)).json.nodes.review.status, 'waiting');
    const fixed = await call('POST', `/api/v1/runs/${runId}/nodes/review/approve`, { value: 'the corrected summary' });
    assert.equal(fixed.status, 200, fixed.text);
    const run = await untilFinished(runId);
    assert.equal(run.outputs.approved, 'the corrected summary');

    const twice = await call('POST', `/api/v1/runs/${runId}/nodes/review/reject`);
    assert.equal(twice.status, 409);
    assert.equal(twice.json.error.code, 'NODE_NOT_WAITING');
  });

  test('the typed client approves and rejects', async () => {
    const { TesseraClient, ApiClientError } = await import('../../engine/api/client/client.ts');
    const client = new TesseraClient({ server: env.url, token });
    const first = await start(jsonReview, { fields: { n: 1 } });
    await untilWaiting(first);
    const answer = await client.approveNode(first, 'review', { n: 2 });
    assert.equal(answer.decision, 'approved');
    assert.equal(answer.edited, true);
    assert.deepEqual((await client.waitForRun(first)).outputs?.approved, { n: 2 });

    const second = await start(jsonReview, { fields: { n: 3 } });
    await untilWaiting(second);
    const refused = await client.approveNode(second, 'after').catch((err: unknown) => err);
    assert.ok(refused instanceof ApiClientError);
    assert.deepEqual([refused.status, refused.code], [409, 'NODE_NOT_WAITING']);
    assert.equal((await client.rejectNode(second, 'review', 'no')).decision, 'rejected');
    assert.equal((await client.waitForRun(second)).status, 'failed');
  });
});

describe('sub-pipelines', () => {
  /** who (text) -> test-count -> greeting: the child. */
  const child = (suffix = '') => doc(
    `child${suffix}`,
    [
      { id: 'who', type: 'input', params: { name: 'who', kind: 'text' } },
      { id: 'tally', type: 'test-count', params: {} },
      { id: 'greeting', type: 'output', params: { name: 'greeting' } },
    ],
    [['who.value', 'tally.in'], ['tally.out', 'greeting.value']],
  );
  /** name (text) -> sub (the child) -> result. */
  const parent = (childId: string, version?: number) => doc(
    'parent',
    [
      { id: 'name', type: 'input', params: { name: 'name', kind: 'text' } },
      { id: 'sub', type: 'pipeline', params: { pipeline: childId, ...(version ? { version } : {}) } },
      { id: 'result', type: 'output', params: { name: 'result' } },
    ],
    [['name.value', 'sub.who'], ['sub.greeting', 'result.value']],
  );

  let childId: string;
  let parentId: string;

  test('saving pins the child\'s latest version; a later child version does not change the parent', async () => {
    childId = await save(child());
    const saved = await call('POST', '/api/v1/pipelines', parent(childId));
    assert.equal(saved.status, 201, saved.text);
    parentId = saved.json.pipeline.id;
    const sub = saved.json.version.document.nodes.find((n: any) => n.id === 'sub');
    assert.deepEqual(sub.params, { pipeline: childId, version: 1 });
    assert.equal(sub.version, 1, 'the node type version is pinned too');

    const changed = child();
    changed.nodes[1] = { ...changed.nodes[1], params: {} };
    changed.description = 'v2';
    assert.equal((await call('PUT', `/api/v1/pipelines/${childId}`, changed)).json.version.version, 2);
    const stored = await call('GET', `/api/v1/pipelines/${parentId}/versions/1`);
    assert.equal(stored.json.document.nodes.find((n: any) => n.id === 'sub').params.version, 1);
    const pinnedLater = await call('PUT', `/api/v1/pipelines/${parentId}`, parent(childId));
    assert.equal(pinnedLater.json.version.document.nodes.find((n: any) => n.id === 'sub').params.version, 2, 'saved again: the new latest');
  });

  test('a child named by its (unique) name resolves, and saving writes its id and version in', async () => {
    const namedId = await save(child('-by-name'));
    const saved = await call('POST', '/api/v1/pipelines', parent('child-by-name'));
    assert.equal(saved.status, 201, saved.text);
    assert.deepEqual(saved.json.version.document.nodes.find((n: any) => n.id === 'sub').params, { pipeline: namedId, version: 1 });
    await save(child('-by-name')); // now two pipelines share the name: it no longer names one
    const ambiguous = await call('POST', '/api/v1/pipelines', parent('child-by-name'));
    assert.equal(ambiguous.status, 400);
    assert.equal(ambiguous.json.error.code, 'SUB_PIPELINE_NOT_FOUND');
  });

  test('validation and saves refuse a missing child (SUB_PIPELINE_NOT_FOUND) and a cycle (PIPELINE_CYCLE)', async () => {
    const missing = await call('POST', '/api/v1/pipelines', parent('pl_nope'));
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error.code, 'SUB_PIPELINE_NOT_FOUND');
    assert.equal(missing.json.error.details.errors[0].nodeId, 'sub');
    const report = await call('POST', '/api/v1/pipelines/validate', parent(childId));
    assert.deepEqual(report.json, { valid: true, errors: [] }, 'validate sees the saved child');

    // a calls b calls a: a is saved first, b runs a, then a new version of a that runs b closes the cycle.
    const a = await save(child('-a'));
    const b = await save({ ...parent(a), name: 'b' });
    const cycle = await call('PUT', `/api/v1/pipelines/${a}`, { ...parent(b), name: 'a' });
    assert.equal(cycle.status, 400, cycle.text);
    assert.equal(cycle.json.error.code, 'PIPELINE_CYCLE');
    assert.deepEqual(cycle.json.error.details.errors[0].details.cycle, [a, b, a]);
    assert.equal((await call('GET', `/api/v1/pipelines/${a}`)).json.latestVersion, 1, 'nothing saved');
    const self = await call('PUT', `/api/v1/pipelines/${a}`, { ...parent(a), name: 'a' });
    assert.equal(self.json.error.code, 'PIPELINE_CYCLE', 'a pipeline that runs itself');
  });

  test('a run of the parent runs the child as a child run: indexed with trigger pipeline, linked from the node, followed to its end', async () => {
    const started = await call('POST', `/api/v1/pipelines/${parentId}/runs?wait=60`, { inputs: { name: 'Ada:' }, version: 1 });
    assert.equal(started.status, 200, started.text);
    const run = started.json;
    assert.equal(run.status, 'succeeded');
    assert.equal(run.outputs.result, 'Ada:tally;');
    const link = run.nodes.sub.child;
    assert.deepEqual(link, { runId: `${run.id}.sub`, pipelineId: childId, version: 1 });

    const childRun = await poll('the child run recorded as finished', async () => {
      const { status, json } = await call('GET', `/api/v1/runs/${link.runId}`);
      return status === 200 && json.status === 'succeeded' ? json : undefined;
    });
    assert.deepEqual(childRun.trigger, { type: 'pipeline', id: run.id });
    assert.deepEqual([childRun.pipelineId, childRun.pipelineVersion, childRun.pipelineName], [childId, 1, 'child']);
    assert.deepEqual(childRun.inputs, { who: 'Ada:' });
    assert.deepEqual(childRun.outputs, { greeting: 'Ada:tally;' });
    assert.equal(childRun.nodes.tally.status, 'succeeded');

    const listed = await call('GET', '/api/v1/runs?trigger=pipeline');
    assert.ok(listed.json.items.some((r: any) => r.id === link.runId && r.trigger.id === run.id), 'listed with trigger pipeline');
    const events = await readSse(`${env.url}/api/v1/runs/${encodeURIComponent(link.runId)}/events`, { authorization: `Bearer ${token}` });
    assert.ok(events.events.some((e) => e.event === 'node.succeeded' && e.data.data.nodeId === 'tally'));
    assert.equal(events.events.at(-1)?.event, 'run.finished');
    const parentEvents = await readSse(`${env.url}/api/v1/runs/${run.id}/events`, { authorization: `Bearer ${token}` });
    const subStarted = parentEvents.events.find((e) => e.event === 'node.started' && e.data.data.nodeId === 'sub');
    assert.deepEqual(subStarted?.data.data.child, link, 'the parent\'s node.started names the child run');
    const outputs = await call('GET', `/api/v1/runs/${link.runId}/nodes/tally/outputs`);
    assert.deepEqual(outputs.json.outputs, { out: 'Ada:tally;' });
  });

  test('an approval inside a child run: the child and its parent are waiting until it is approved through the child run', async () => {
    const reviewed = await save(reviewPipeline('text'));
    const outer = await save(doc(
      'outer',
      [
        { id: 'text', type: 'input', params: { name: 'text', kind: 'text' } },
        { id: 'inner', type: 'pipeline', params: { pipeline: reviewed } },
        { id: 'out', type: 'output', params: { name: 'out' } },
      ],
      [['text.value', 'inner.fields'], ['inner.approved', 'out.value']],
    ));
    const runId = await start(outer, { text: 'draft' });
    const childId = `${runId}.inner`;
    await untilWaiting(childId);
    await poll('the parent waiting', async () => ((await call('GET', `/api/v1/runs/${runId}`)).json.status === 'waiting' ? true : undefined));
    const approved = await call('POST', `/api/v1/runs/${childId}/nodes/review/approve`, { value: 'final' });
    assert.equal(approved.status, 200, approved.text);
    const run = await untilFinished(runId);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.outputs.out, 'final');
  });
});
