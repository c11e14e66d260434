/** Node-state snapshots become run events: started, retrying, then the terminal status; terminal states stick. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffNodes, mergeNodes } from '../../engine/api/runs/node-diff.ts';
import type { NodeState } from '../../engine/run/plan.ts';

const t0 = '2026-01-01T00:00:00.000Z';
const t1 = '2026-01-01T00:00:01.500Z';
const types = (prev: Record<string, NodeState>, next: Record<string, NodeState>) => diffNodes(prev, next).map((e) => `${e.type} ${e.nodeId}`);

test('a node seen running, then succeeded, gives started then succeeded with its duration', () => {
  const running = { a: { status: 'running', startedAt: t0 } } satisfies Record<string, NodeState>;
  assert.deepEqual(types({}, running), ['node.started a']);
  assert.deepEqual(types(running, running), []);
  const done = diffNodes(running, { a: { status: 'succeeded', startedAt: t0, endedAt: t1, attempt: 1 } });
  assert.deepEqual(done.map((e) => e.type), ['node.succeeded']);
  assert.equal(done[0].data.durationMs, 1500);
});

test('a node that ran entirely between two polls still gets started before its end', () => {
  assert.deepEqual(types({ a: { status: 'pending' } }, { a: { status: 'failed', startedAt: t0, endedAt: t1, error: { message: 'x' } } }), ['node.started a', 'node.failed a']);
});

test('a higher attempt is a retry, also when only the final state shows it', () => {
  const first = { a: { status: 'running', startedAt: t0 } } satisfies Record<string, NodeState>;
  const retried = diffNodes(first, { a: { status: 'running', startedAt: t0, attempt: 2 } }, new Map([['a', 'boom']]));
  assert.deepEqual(retried.map((e) => [e.type, e.data.attempt, e.data.reason]), [['node.retrying', 2, 'boom']]);
  assert.deepEqual(types({ a: { status: 'running', attempt: 2 } }, { a: { status: 'succeeded', attempt: 3, startedAt: t0, endedAt: t1 } }), ['node.retrying a', 'node.succeeded a']);
  assert.deepEqual(types({ a: { status: 'running', attempt: 3 } }, { a: { status: 'succeeded', attempt: 3 } }), ['node.succeeded a']);
});

test('a node cancelled before it started is only cancelled', () => {
  assert.deepEqual(types({ a: { status: 'pending' } }, { a: { status: 'cancelled' } }), ['node.cancelled a']);
});

test('merging keeps terminal states and a running node\'s known attempt', () => {
  const merged = mergeNodes({ a: { status: 'succeeded' }, b: { status: 'running', attempt: 2 } }, { a: { status: 'running' }, b: { status: 'running' } });
  assert.equal(merged.a.status, 'succeeded');
  assert.equal(merged.b.attempt, 2);
});

test('an approval that waits gives started then waiting; its decision ends it (waiting counts as started)', () => {
  const waiting = { review: { status: 'waiting', startedAt: t0, waitingUntil: t1, approval: { instructions: 'Check the fields' } } } satisfies Record<string, NodeState>;
  const events = diffNodes({ review: { status: 'pending' } }, waiting);
  assert.deepEqual(events.map((e) => e.type), ['node.started', 'node.waiting']);
  assert.deepEqual(events[1].data, { nodeId: 'review', waitingUntil: t1, approval: { instructions: 'Check the fields' } });
  assert.deepEqual(types(waiting, waiting), []);
  const approved = diffNodes(waiting, { review: { status: 'succeeded', startedAt: t0, endedAt: t1, approval: { instructions: 'Check the fields', decision: 'approved', edited: true, by: 'ops' } } });
  assert.deepEqual(approved.map((e) => e.type), ['node.succeeded'], 'no second node.started');
  assert.deepEqual(approved[0].data.approval, { instructions: 'Check the fields', decision: 'approved', edited: true, by: 'ops' });
});

test('a skipped node never started: only node.skipped, and it is terminal', () => {
  assert.deepEqual(types({ a: { status: 'pending' } }, { a: { status: 'skipped' } }), ['node.skipped a']);
  assert.deepEqual(types({}, { a: { status: 'skipped' } }), ['node.skipped a']);
  assert.deepEqual(types({ a: { status: 'skipped' } }, { a: { status: 'succeeded' } }), [], 'terminal: nothing after it');
  assert.equal(mergeNodes({ a: { status: 'skipped' } }, { a: { status: 'pending' } }).a.status, 'skipped');
});

test('a mapped node reports progress in items when the count of finished items changes', () => {
  const at = (done: number, status: NodeState['status'] = 'running'): Record<string, NodeState> => ({ m: { status, startedAt: t0, items: { total: 12, done, failed: 0 } } });
  const first = diffNodes({}, at(0));
  assert.deepEqual(first.map((e) => e.type), ['node.started'], 'no progress before an item finished');
  const some = diffNodes(at(0), at(3));
  assert.deepEqual(some.map((e) => e.type), ['node.progress']);
  assert.deepEqual(some[0].data, { nodeId: 'm', fraction: 0.25, message: '3 / 12 items', items: { total: 12, done: 3, failed: 0 } });
  assert.deepEqual(types(at(3), at(3)), []);
  const end = diffNodes(at(3), at(12, 'succeeded'));
  assert.deepEqual(end.map((e) => [e.type, e.data.fraction]), [['node.progress', 1], ['node.succeeded', undefined]]);
});

test('a sub-pipeline node names its child run when it starts', () => {
  const child = { runId: 'run-1.sub', pipelineId: 'pl_x', version: 2 };
  const [started] = diffNodes({}, { sub: { status: 'running', startedAt: t0, child } });
  assert.deepEqual(started.data, { nodeId: 'sub', startedAt: t0, child });
});
