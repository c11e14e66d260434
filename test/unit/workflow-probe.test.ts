/** The tracker's WorkflowProbe makes no Temporal call once stopped (a call started then outlived the tracker). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from '@temporalio/client';
import { WorkflowProbe } from '../../engine/api/runs/workflow-probe.ts';

function countingClient() {
  const calls: string[] = [];
  const handle = {
    query: async () => (calls.push('query'), {}),
    describe: async () => (calls.push('describe'), { raw: { pendingActivities: [] } }),
  };
  const client = {
    workflow: { getHandle: () => handle },
    withAbortSignal: (_signal: AbortSignal, fn: () => Promise<unknown>) => fn(),
    withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn(),
  } as unknown as Client;
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
