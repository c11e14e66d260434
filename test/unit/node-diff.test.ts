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
