/** The tracker's WorkflowProbe makes no Temporal call once stopped (a call started then outlived the tracker). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from '@temporalio/client';
import { settledCalls, WorkflowProbe } from '../../engine/api/runs/workflow-probe.ts';

/** A Temporal client whose workflow handle is `handle`; abort signals and deadlines are not simulated. */
function fakeClient(handle: unknown): Client {
  return {
    workflow: { getHandle: () => handle },
    withAbortSignal: (_signal: AbortSignal, fn: () => Promise<unknown>) => fn(),
    withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn(),
  } as unknown as Client;
}

function countingClient() {
  const calls: string[] = [];
  const handle = {
    query: async () => (calls.push('query'), {}),
    describe: async () => (calls.push('describe'), { raw: { pendingActivities: [] } }),
  };
  const client = fakeClient(handle);
  return { client, calls };
}

test('a probe whose tracker stopped asks Temporal nothing', async () => {
  const { client, calls } = countingClient();
  const stopped = new AbortController();
  stopped.abort();
  const probe = new WorkflowProbe(client, 'run-1', stopped.signal);
  assert.equal(await probe.nodes(), undefined);
  assert.equal(await probe.outputs(['a']), undefined);
  assert.equal((await probe.attempts()).size, 0);
  assert.deepEqual(calls, [], 'no call was started');

  const live = new WorkflowProbe(client, 'run-1', new AbortController().signal);
  await live.outputs(['a']);
  assert.deepEqual(calls, ['query'], 'a live probe does call');
});

test('after an abort, the tracker can wait for the calls still ending (the connection must outlive them)', async () => {
  let finish!: () => void;
  const ending = new Promise<Record<string, never>>((resolve) => (finish = () => resolve({})));
  const client = fakeClient({ query: () => ending });
  const stop = new AbortController();
  const probe = new WorkflowProbe(client, 'run-1', stop.signal);
  const answer = probe.outputs(['a']);
  stop.abort();
  assert.equal(await answer, undefined, 'the caller returns at once');
  let settled = false;
  const waiting = settledCalls(stop.signal).then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'the underlying call has not ended yet');
  finish();
  await waiting;
  assert.equal(settled, true);
});

test("a closed run's final node states are asked again when the first query goes unanswered", async () => {
  const asked: number[] = [];
  const answers: (() => Promise<unknown>)[] = [() => Promise.reject(new Error('deadline exceeded')), async () => ({ review: { status: 'failed', approval: { reason: 'wrong patient' } } })];
  const client = fakeClient({ query: () => (asked.push(asked.length + 1), answers[asked.length - 1]()) });
  const probe = new WorkflowProbe(client, 'run-1', new AbortController().signal);
  const states = await probe.finalNodes(1000);
  assert.deepEqual(asked, [1, 2]);
  assert.equal(states?.review.approval?.reason, 'wrong patient');

  const never = fakeClient({ query: () => Promise.reject(new Error('deadline exceeded')) });
  assert.equal(await new WorkflowProbe(never, 'run-2', new AbortController().signal).finalNodes(1000, 3), undefined, 'given up after the attempts');
});

test("a watcher's probe (its signal derived from the tracker's) is waited for by the tracker's settledCalls", async () => {
  let finish!: () => void;
  const ending = new Promise<Record<string, never>>((resolve) => (finish = () => resolve({})));
  const client = fakeClient({ query: () => ending });
  const tracker = new AbortController();
  const watcher = AbortSignal.any([tracker.signal, new AbortController().signal]);
  const answer = new WorkflowProbe(client, 'run-1', watcher, tracker.signal).nodes();
  tracker.abort();
  assert.equal(await answer, undefined);
  let settled = false;
  const waiting = settledCalls(tracker.signal).then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'the call made under the derived signal is still counted');
  finish();
  await waiting;
  assert.equal(settled, true);
});

test("a stopped tracker waits for its watchers' Temporal calls to end (the API closes the connection next)", async () => {
  const { RunWatcher } = await import('../../engine/api/runs/run-watcher.ts');
  const releases: (() => void)[] = [];
  const pending = <T>(value: T) => new Promise<T>((resolve) => releases.push(() => resolve(value)));
  const handle = { query: () => pending({}), describe: () => pending({ raw: { pendingActivities: [] } }), result: () => pending({ outputs: {}, nodes: {} }) };
  const client = fakeClient(handle);
  const deps = { client, store: { getVersion: async () => undefined }, registry: { get: () => undefined } } as never;
  const run = { id: 'run-1', pipelineId: 'p', pipelineVersion: 1, pipelineName: 'p', status: 'running', trigger: 'api', inputs: {}, nodes: {}, startedAt: new Date().toISOString() } as never;
  const tracker = new AbortController();
  const watching = new RunWatcher(deps, run, tracker.signal, () => {}, { pollMs: 10, progressMs: 10 }).watch();
  while (releases.length < 2) await new Promise((r) => setImmediate(r)); // the result's long poll and the first query
  tracker.abort();
  await watching;
  let settled = false;
  const waiting = settledCalls(tracker.signal).then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, "the watcher's calls are still going: the tracker must not let the connection close yet");
  releases.forEach((release) => release());
  await waiting;
  assert.equal(settled, true);
});
