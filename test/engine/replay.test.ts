/**
 * Determinism guard: the histories recorded from every earlier revision of the workflow (one folder per
 * revision under test/fixtures/histories/) must replay against the current workflow code without a
 * non-determinism error, so runs started by an older version survive an upgrade of the workers.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { loadWorkflowBundle } from '../../engine/worker/workflow-bundle.ts';
import { ensureTemporalRuntime } from '../../engine/worker/runtime.ts';
import { BUNDLE_CACHE } from '../support/temporal-env.ts';

const root = new URL('../fixtures/histories/', import.meta.url);
const revisions = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
const histories = revisions.flatMap((revision) =>
  readdirSync(new URL(`${revision}/`, root)).filter((f) => f.endsWith('.json')).map((file) => ({ revision, file })),
);

test('recorded histories exist for more than one workflow revision', () => {
  assert.ok(revisions.length >= 2 && histories.length >= 4, 'record them with scripts/record-histories.ts <revision>');
  assert.deepEqual(readdirSync(root).filter((f) => f.endsWith('.json')), [], 'histories live in revision folders');
});

for (const { revision, file } of histories) {
  test(`history ${revision}/${file} replays against the current workflow`, async () => {
    ensureTemporalRuntime();
    const history = JSON.parse(readFileSync(new URL(`${revision}/${file}`, root), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: await loadWorkflowBundle(BUNDLE_CACHE), replayName: `${revision}/${file}` }, history, recordedWorkflowId(history));
  });
}

/**
 * The run's own workflow id, for histories that start child workflows (whose ids are "<run id>.<node>...");
 * replay otherwise uses a made-up id, which is all other histories need.
 */
function recordedWorkflowId(history: { events?: { startChildWorkflowExecutionInitiatedEventAttributes?: { workflowId?: string } }[] }): string | undefined {
  const childId = history.events?.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)?.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
  return childId?.split('.')[0];
}
