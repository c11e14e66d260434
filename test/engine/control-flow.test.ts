/**
 * Control flow against a real Temporal dev server: maps (concurrency, item order, failed items in both
 * modes, a 5,000-item map in batches with every history under Temporal's event warning), branches and
 * merges (skipped paths), approvals (approved with an edit, rejected, timed out), delays and sub-pipelines.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { RunPipelineResult } from '../../engine/run/plan.ts';
import { nodeStatusQuery } from '../../engine/run/start.ts';
import { runError } from '../../engine/run/run-error.ts';
import { decideApprovalUpdate } from '../../workflows/contract.ts';
import type { SubPipelineSource } from '../../engine/pipeline/sub-pipelines.ts';
import { createTemporalEnv, pipeline, type TemporalEnv } from '../support/temporal-env.ts';
import { readJournal } from '../support/test-nodes.ts';
import { waitFor } from '../support/wait-for.ts';

let env: TemporalEnv;

before(async () => {
  env = await createTemporalEnv();
  await env.startWorker();
});
after(async () => env?.close());

const journalFile = (name: string) => path.join(env.dir, `${name}.jsonl`);

/** Most entries between a start and its end at any moment, from a journal of start/end events. */
function mostAtOnce(entries: { event: string; t: number }[]): number {
  const steps = entries.filter((e) => e.event === 'start' || e.event === 'end').map((e) => ({ t: e.t, d: e.event === 'start' ? 1 : -1 }));
  steps.sort((a, b) => a.t - b.t || a.d - b.d); // an end and a start at the same millisecond do not overlap
  let now = 0;
  let most = 0;
  for (const step of steps) most = Math.max(most, (now += step.d));
  return most;
}

async function eventCount(workflowId: string): Promise<number> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.length ?? 0;
}

describe('map', () => {
  test('runs once per item with at most `concurrency` at once, outputs in item order', async () => {
    const journal = journalFile('map-concurrency');
    const doc = pipeline(
      'map-concurrency',
      [
        { id: 'pages', type: 'input', params: { name: 'pages', kind: 'text[]' } },
        { id: 'work', type: 'test-sleep', params: { ms: 300, journal }, map: { port: 'in', concurrency: 3 } },
        { id: 'out', type: 'output', params: { name: 'texts' } },
      ],
      ['pages.value->work.in', 'work.out->out.value'],
    );
    const pages = Array.from({ length: 12 }, (_, i) => `p${i + 1}:`);
    const handle = await env.start(doc, { pages });
    const result = (await handle.result()) as RunPipelineResult;
    assert.deepEqual(result.outputs.texts, pages.map((p) => `${p}work;`));
    assert.deepEqual(result.nodes.work.items, { total: 12, done: 12, failed: 0 });
    const entries = readJournal(journal);
    assert.equal(entries.filter((e) => e.event === 'start').length, 12);
    const most = mostAtOnce(entries);
    assert.ok(most <= 3, `at most 3 items ran at once (saw ${most})`);
    assert.ok(most >= 2, `items did run side by side (saw ${most})`);
  });

  const pickDoc = (onItemError: 'fail' | 'continue') =>
    pipeline(
      `map-${onItemError}`,
      [
        { id: 'records', type: 'input', params: { name: 'records', kind: 'json[]' } },
        { id: 'pick', type: 'json-pick', params: { path: 'name' }, map: { port: 'json', concurrency: 2, onItemError } },
        { id: 'names', type: 'output', params: { name: 'names' } },
        ...(onItemError === 'continue' ? [{ id: 'errors', type: 'output', params: { name: 'errors' } }] : []),
      ],
      ['records.value->pick.json', 'pick.text->names.value', ...(onItemError === 'continue' ? ['pick.itemErrors->errors.value'] : [])],
    );
  const records = [{ name: 'ada' }, { nickname: 'bob' }, { name: 'cy' }];

  test('one bad item fails the node by default, naming the item', async () => {
    const handle = await env.start(pickDoc('fail'), { records });
    const error = runError(await handle.result().then(() => assert.fail('the run should fail'), (err: unknown) => err));
    assert.equal(error.nodeId, 'pick');
    assert.match(error.message, /Item 2 of 3: Path "name" does not exist/);
    const states = await handle.query(nodeStatusQuery);
    assert.equal(states.pick.status, 'failed');
    assert.equal(states.pick.error?.code, 'PATH_NOT_FOUND');
  });

  test('with onItemError "continue" the other items go on and itemErrors lists the bad one', async () => {
    const result = (await (await env.start(pickDoc('continue'), { records })).result()) as RunPipelineResult;
    assert.deepEqual(result.outputs.names, ['ada', 'cy']);
    const errors = result.outputs.errors as { index: number; code: string; message: string }[];
    assert.equal(errors.length, 1);
    assert.equal(errors[0].index, 1);
    assert.equal(errors[0].code, 'PATH_NOT_FOUND');
    assert.deepEqual(result.nodes.pick.items, { total: 3, done: 3, failed: 1 });
    assert.equal(result.nodes.pick.status, 'succeeded');
  });

  test('an empty list gives empty lists', async () => {
    const result = (await (await env.start(pickDoc('fail'), { records: [] })).result()) as RunPipelineResult;
    assert.deepEqual(result.outputs.names, []);
  });

  test('5,000 items complete in batches, and no workflow history passes 10,240 events', { timeout: 600_000 }, async () => {
    const count = 5000;
    const doc = pipeline(
      'map-5000',
      [
        { id: 'records', type: 'input', params: { name: 'records', kind: 'json[]' } },
        // A regular activity per item (not local): the case that grows histories fastest.
        { id: 'pick', type: 'json-pick', params: { path: 'n' }, options: { local: false }, map: { port: 'json', concurrency: 50 } },
        { id: 'sum', type: 'join', params: { separator: ',' } },
        { id: 'out', type: 'output', params: { name: 'joined' } },
      ],
      ['records.value->pick.json', 'pick.text->sum.items', 'sum.text->out.value'],
    );
    const handle = await env.start(doc, { records: Array.from({ length: count }, (_, n) => ({ n })) });
    const result = (await handle.result()) as RunPipelineResult;
    const joined = (result.outputs.joined as string).split(',');
    assert.equal(joined.length, count);
    assert.deepEqual(joined.slice(0, 3), ['0', '1', '2']);
    assert.equal(joined[count - 1], String(count - 1));
    assert.deepEqual(result.nodes.pick.items, { total: count, done: count, failed: 0 });

    const runEvents = await eventCount(handle.workflowId);
    assert.ok(runEvents < 10_240, `the run's own history has ${runEvents} events`);
    const batches = Math.ceil(count / 500);
    let itemEvents = 0;
    for (let n = 1; n <= batches; n++) {
      const events = await eventCount(`${handle.workflowId}.pick.${n}`);
      assert.ok(events < 10_240, `batch ${n} has ${events} events`);
      itemEvents += events;
    }
    assert.ok(itemEvents > count * 2, `the batches hold the items' activities (${itemEvents} events)`);
  });
});

describe('branch and merge', () => {
  const routeDoc = pipeline(
    'route',
    [
      { id: 'doc', type: 'input', params: { name: 'doc', kind: 'json' } },
      { id: 'check', type: 'branch', params: { path: 'confidence', op: 'greater-or-equal', value: 0.8 } },
      { id: 'sure', type: 'json-pick', params: { path: 'name' } },
      { id: 'unsure', type: 'json-pick', params: { path: 'name' } },
      { id: 'flag', type: 'text-template', params: { template: 'REVIEW: {{name}}' } },
      { id: 'either', type: 'merge', params: { kind: 'text' } },
      { id: 'accepted', type: 'output', params: { name: 'accepted' } },
      { id: 'review', type: 'output', params: { name: 'review' } },
      { id: 'final', type: 'output', params: { name: 'final' } },
    ],
    [
      'doc.value->check.value',
      'check.then->sure.json',
      'check.else->unsure.json',
      'unsure.text->flag.name',
      'sure.text->accepted.value',
      'flag.text->review.value',
      'sure.text->either.a',
      'flag.text->either.b',
      'either.value->final.value',
    ],
  );

  test('the path not taken is skipped, its output yields nothing, and the merge takes the value that came', async () => {
    const result = (await (await env.start(routeDoc, { doc: { name: 'Ada', confidence: 0.93 } })).result()) as RunPipelineResult;
    assert.deepEqual(result.outputs, { accepted: 'Ada', final: 'Ada' });
    for (const id of ['unsure', 'flag', 'review']) assert.equal(result.nodes[id].status, 'skipped', id);
    for (const id of ['check', 'sure', 'either', 'accepted', 'final']) assert.equal(result.nodes[id].status, 'succeeded', id);

    const low = (await (await env.start(routeDoc, { doc: { name: 'Bob', confidence: 0.4 } })).result()) as RunPipelineResult;
    assert.deepEqual(low.outputs, { review: 'REVIEW: Bob', final: 'REVIEW: Bob' });
    for (const id of ['sure', 'accepted']) assert.equal(low.nodes[id].status, 'skipped', id);
  });
});

describe('approval', () => {
  const reviewDoc = (params: Record<string, unknown> = {}) =>
    pipeline(
      'review',
      [
        { id: 'draft', type: 'input', params: { name: 'draft', kind: 'json' } },
        { id: 'ok', type: 'approval', params: { instructions: 'Check the fields', ...params } },
        { id: 'name', type: 'json-pick', params: { path: 'name' } },
        { id: 'out', type: 'output', params: { name: 'name' } },
      ],
      ['draft.value->ok.value', 'ok.value->name.json', 'name.text->out.value'],
    );

  const waiting = async (handle: { query: (q: typeof nodeStatusQuery) => Promise<Record<string, { status: string }>> }) =>
    waitFor(async () => (await handle.query(nodeStatusQuery)).ok?.status === 'waiting', { what: 'the approval to wait' });

  test('approved with an edited value: the edit goes on', async () => {
    const handle = await env.start(reviewDoc(), { draft: { name: 'Ada Lovelce' } });
    await waiting(handle);
    const states = await handle.query(nodeStatusQuery);
    assert.equal(states.name.status, 'pending', 'nothing after the approval ran');
    assert.equal(states.ok.approval?.instructions, 'Check the fields');
    const answer = await handle.executeUpdate(decideApprovalUpdate, { args: [{ nodeId: 'ok', approve: true, value: { name: 'Ada Lovelace' }, by: 'reviewer' }] });
    assert.deepEqual(answer, { nodeId: 'ok', decision: 'approved', edited: true });
    const result = (await handle.result()) as RunPipelineResult;
    assert.equal(result.outputs.name, 'Ada Lovelace');
    assert.deepEqual(result.nodes.ok.approval, { instructions: 'Check the fields', decision: 'approved', edited: true, by: 'reviewer' });
  });

  test('updates that do not apply are refused and change nothing', async () => {
    const handle = await env.start(reviewDoc({ kind: 'json' }), { draft: { name: 'Cy' } });
    await waiting(handle);
    const refused = (code: string, message: RegExp) => (err: { cause?: { type?: string; message?: string } }) => {
      assert.equal(err.cause?.type, code);
      assert.match(err.cause?.message ?? '', message);
      return true;
    };
    await assert.rejects(handle.executeUpdate(decideApprovalUpdate, { args: [{ nodeId: 'name', approve: true }] }), refused('NODE_NOT_WAITING', /not an approval waiting/));
    await assert.rejects(handle.executeUpdate(decideApprovalUpdate, { args: [{ nodeId: 'ok', approve: false, value: 1 }] }), refused('APPROVAL_VALUE_INVALID', /takes no value/));
    assert.equal((await handle.query(nodeStatusQuery)).ok.status, 'waiting');
    await handle.executeUpdate(decideApprovalUpdate, { args: [{ nodeId: 'ok', approve: true }] });
    assert.equal(((await handle.result()) as RunPipelineResult).outputs.name, 'Cy');
  });

  test('an edit must fit the node\'s kind', async () => {
    const doc = pipeline(
      'review-text',
      [
        { id: 'draft', type: 'input', params: { name: 'draft', kind: 'text' } },
        { id: 'ok', type: 'approval', params: { kind: 'text' } },
        { id: 'out', type: 'output', params: { name: 'text' } },
      ],
      ['draft.value->ok.value', 'ok.value->out.value'],
    );
    const handle = await env.start(doc, { draft: 'teh summary' });
    await waiting(handle);
    await assert.rejects(
      handle.executeUpdate(decideApprovalUpdate, { args: [{ nodeId: 'ok', approve: true, value: { text: 'x' } }] }),
      (err: { cause?: { type?: string; message?: string } }) => err.cause?.type === 'APPROVAL_VALUE_INVALID' && /a text value is a string/.test(err.cause.message ?? ''),
    );
    await handle.executeUpdate(decideApprovalUpdate, { args: [{ nodeId: 'ok', approve: true, value: 'the summary' }] });
    assert.equal(((await handle.result()) as RunPipelineResult).outputs.text, 'the summary');
  });

  test('rejected: the run fails on the approval with APPROVAL_REJECTED and the reason', async () => {
    const handle = await env.start(reviewDoc(), { draft: { name: 'x' } });
    await waiting(handle);
    await handle.executeUpdate(decideApprovalUpdate, { args: [{ nodeId: 'ok', approve: false, reason: 'wrong patient' }] });
    const error = runError(await handle.result().then(() => assert.fail('the run should fail'), (err: unknown) => err));
    assert.equal(error.nodeId, 'ok');
    assert.match(error.message, /rejected: wrong patient/);
    const states = await handle.query(nodeStatusQuery);
    assert.equal(states.ok.error?.code, 'APPROVAL_REJECTED');
    assert.equal(states.name.status, 'cancelled');
  });

  test('rejected with onReject "skip": the run succeeds and what follows is skipped', async () => {
    const handle = await env.start(reviewDoc({ onReject: 'skip' }), { draft: { name: 'x' } });
    await waiting(handle);
    await handle.executeUpdate(decideApprovalUpdate, { args: [{ nodeId: 'ok', approve: false }] });
    const result = (await handle.result()) as RunPipelineResult;
    assert.deepEqual(result.outputs, {});
    assert.equal(result.nodes.name.status, 'skipped');
    assert.equal(result.nodes.ok.approval?.decision, 'rejected');
  });

  test('timed out: the node\'s onTimeout decides', async () => {
    const rejected = await env.start(reviewDoc({ timeout: '1s' }), { draft: { name: 'x' } });
    await assert.rejects(rejected.result(), WorkflowFailedError);
    assert.equal((await rejected.query(nodeStatusQuery)).ok.error?.code, 'APPROVAL_TIMED_OUT');

    const approved = (await (await env.start(reviewDoc({ timeout: '1s', onTimeout: 'approve' }), { draft: { name: 'Dee' } })).result()) as RunPipelineResult;
    assert.equal(approved.outputs.name, 'Dee');
    assert.equal(approved.nodes.ok.approval?.timedOut, true);
  });
});

describe('delay', () => {
  test('waits its duration as a timer, then passes the value on', async () => {
    const doc = pipeline(
      'delay',
      [
        { id: 'text', type: 'input', params: { name: 'text', kind: 'text' } },
        { id: 'wait', type: 'delay', params: { kind: 'text', duration: '1500ms' } },
        { id: 'out', type: 'output', params: { name: 'text' } },
      ],
      ['text.value->wait.value', 'wait.value->out.value'],
    );
    const handle = await env.start(doc, { text: 'later' });
    await waitFor(async () => (await handle.query(nodeStatusQuery)).wait?.status === 'waiting', { what: 'the delay to wait' });
    const result = (await handle.result()) as RunPipelineResult;
    assert.equal(result.outputs.text, 'later');
    const { startedAt, endedAt } = result.nodes.wait;
    assert.ok(Date.parse(endedAt!) - Date.parse(startedAt!) >= 1500, 'the workflow waited the whole duration');
    const history = await handle.fetchHistory();
    assert.ok(history.events?.some((e) => e.timerStartedEventAttributes), 'a durable timer');
  });
});

describe('sub-pipelines', () => {
  const child = {
    format: 'tessera.pipeline/v1',
    name: 'shout',
    nodes: [
      { id: 'text', type: 'input', params: { name: 'text', kind: 'text' } },
      { id: 'suffix', type: 'input', params: { name: 'suffix', kind: 'text', default: '!' } },
      { id: 'up', type: 'text-template', params: { template: '{{text}}{{suffix}}' } },
      { id: 'loud', type: 'output', params: { name: 'loud' } },
    ],
    edges: [
      { from: 'text.value', to: 'up.text' },
      { from: 'suffix.value', to: 'up.suffix' },
      { from: 'up.text', to: 'loud.value' },
    ],
  };
  const saved: SubPipelineSource = { get: (id, version) => (id === 'shout' && (version ?? 3) === 3 ? { id: 'shout', version: 3, document: child } : undefined) };
  const parent = pipeline(
    'parent',
    [
      { id: 'name', type: 'input', params: { name: 'name', kind: 'text' } },
      { id: 'sub', type: 'pipeline', params: { pipeline: 'shout', version: 3 } },
      { id: 'out', type: 'output', params: { name: 'result' } },
    ],
    ['name.value->sub.text', 'sub.loud->out.value'],
  );

  test('runs the saved version as a child workflow, linked from the node', async () => {
    const handle = await env.start(parent, { name: 'hey' }, 'cli', saved);
    const result = (await handle.result()) as RunPipelineResult;
    assert.equal(result.outputs.result, 'hey!');
    const link = result.nodes.sub.child!;
    assert.deepEqual(link, { runId: `${handle.workflowId}.sub`, pipelineId: 'shout', version: 3 });
    const childResult = (await env.client.workflow.getHandle(link.runId).result()) as RunPipelineResult;
    assert.deepEqual(childResult.outputs, { loud: 'hey!' });
  });

  test('validation gives the node the child\'s ports and refuses what cannot run', () => {
    const valid = env.validate(parent, saved);
    assert.deepEqual(Object.keys(valid.nodes.get('sub')!.inputs), ['text', 'suffix']);
    assert.equal(valid.nodes.get('sub')!.inputs.suffix.required, false);
    assert.equal(valid.nodes.get('sub')!.outputs.loud.kind, 'text');
    assert.throws(() => env.validate(parent), /SUB_PIPELINE_NOT_FOUND/);
    const loop: SubPipelineSource = {
      get: (id) => ({ id, version: 1, document: pipeline(id, [{ id: 'again', type: 'pipeline', params: { pipeline: id === 'a' ? 'b' : 'a' } }], []) }),
    };
    assert.throws(() => env.validate(pipeline('a', [{ id: 's', type: 'pipeline', params: { pipeline: 'b' } }], []), { ...loop, get: loop.get }), /PIPELINE_CYCLE/);
  });
});
