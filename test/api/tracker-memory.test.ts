/**
 * The run tracker must not keep anything per finished run. The Temporal client adds an 'abort' listener
 * (holding the gRPC call) to the signal of every call and never removes it; handed the tracker's
 * long-lived signal, that grew the API's heap by ~80 KB per run (docs/reliability.md). After runs end,
 * the tracker's signal has no listeners left.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, before, test } from 'node:test';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { greetingPipeline } from '../support/fixtures.ts';

let env: ApiEnv;
before(async () => {
  env = await startApiEnv();
});
after(async () => env?.close());

test('after 20 runs have finished, nothing is left listening on the tracker\'s signal', async () => {
  const id = (await env.request('POST', '/api/v1/pipelines', { body: greetingPipeline('memory') })).json.pipeline.id;
  for (let i = 0; i < 20; i++) {
    const run = await env.request('POST', `/api/v1/pipelines/${id}/runs?wait=60`, { body: { inputs: { who: `n${i}` } } });
    assert.equal(run.json.outputs?.message, `Hello, n${i}!`);
  }
  const tracker = env.api.tracker as unknown as { abort: AbortController; isFollowing(id: string): boolean };
  // The last run's watcher may still be writing its final events; wait until it lets go.
  const deadline = Date.now() + 30_000;
  while (getEventListeners(tracker.abort.signal, 'abort').length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(getEventListeners(tracker.abort.signal, 'abort').length, 0);
});
