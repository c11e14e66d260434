/**
 * Determinism guard: histories recorded from earlier versions of the workflow must replay against the
 * current workflow code without a non-determinism error.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { loadWorkflowBundle } from '../../engine/worker/workflow-bundle.ts';
import { ensureTemporalRuntime } from '../../engine/worker/runtime.ts';
import { BUNDLE_CACHE } from '../support/temporal-env.ts';

const dir = new URL('../fixtures/histories/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('recorded histories exist', () => {
  assert.ok(files.length >= 2, 'run scripts/record-histories.ts to record them');
});

for (const file of files) {
  test(`history ${file} replays against the current workflow`, async () => {
    ensureTemporalRuntime();
    const history = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: await loadWorkflowBundle(BUNDLE_CACHE), replayName: file }, history);
  });
}
