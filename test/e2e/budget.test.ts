/**
 * Cost budgets end to end: `tessera run` against a `tessera dev`, the official SDKs talking to the fake
 * provider server, which counts every request. voice-note-to-summary under a budget that covers the
 * transcription but not the extraction's estimate (gpt-4o with up to 4,096 output tokens) stops before the
 * extraction call, with an error naming the node, the estimate and what is left; under a roomy budget it
 * runs and reports what it spent; `--estimate` prints the range without running anything.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';
import { ROOT, startDev, tessera, type DevProcess } from '../support/cli.ts';
import { fakeKey } from '../support/fake-keys.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-budget-e2e-'));
const audio = path.join(ROOT, 'test/fixtures/speech/voice-note.ogg'); // 6.4 s
const example = path.join(ROOT, 'examples/voice-note-to-summary.pipeline.json');
let fake: FakeProviders;
let dev: DevProcess;
let env: Record<string, string>;

before(async () => {
  fake = await startFakeProviders();
  const providerEnv = { OPENAI_API_KEY: fakeKey('sk-budget'), OPENAI_BASE_URL: fake.openaiBaseURL };
  dev = await startDev(path.join(dir, 'data'), providerEnv);
  env = { ...dev.env, ...providerEnv };
});
after(async () => {
  await dev?.stop();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

function script(): void {
  fake.reset();
  for (let i = 0; i < 5; i++) fake.script('transcriptions', { text: 'Patient reports headaches. Start metformin twice daily.' });
}

const structuredCalls = () => fake.requestsTo('chat').filter((r) => r.json?.response_format?.type === 'json_schema');

test('a budget smaller than the next call\'s estimate stops the run before that call, with an error naming the node, the estimate and what is left', async () => {
  script();
  const result = await tessera(['run', example, '-i', `audio=@${audio}`, '--budget', '0.01', '--json'], { env });
  assert.equal(result.code, 1, result.stderr);
  const out = JSON.parse(result.stdout);
  assert.equal(out.status, 'failed');
  assert.equal(out.error.code, 'BUDGET_EXCEEDED');
  assert.equal(out.error.nodeId, 'fields');
  assert.match(out.error.message, /^Node "fields" stopped before calling openai gpt-4o structured: the call is estimated at \$0\.04\d* \(\d+ input tokens \+ up to 4,096 output tokens\), and \$0\.00\d+ of the run's \$0\.01 budget is left \(\$0\.000\d+ spent, /);
  const details = out.error.details.details;
  assert.ok(details.estimateUsd > details.remainingUsd);
  assert.ok(details.spentUsd > 0 && details.spentUsd < 0.001, `the transcription was paid: ${details.spentUsd}`);

  assert.equal(fake.requestsTo('transcriptions').length, 1, 'the transcription was made');
  assert.equal(structuredCalls().length, 0, 'the provider never saw the extraction');

  // The same without --json: one line, the budget's own code, the node named.
  script();
  const human = await tessera(['run', example, '-i', `audio=@${audio}`, '--budget', '0.01'], { env });
  assert.equal(human.code, 1);
  assert.match(human.stderr, /^error BUDGET_EXCEEDED \[node "fields"\]: Node "fields" stopped before calling openai gpt-4o structured: the call is estimated at \$0\.04/m);
  assert.equal(structuredCalls().length, 0);
});

test('under a budget with room the run succeeds, and what it spent is what its calls cost', async () => {
  script();
  const result = await tessera(['run', example, '-i', `audio=@${audio}`, '--budget', '1', '--json'], { env });
  assert.equal(result.code, 0, result.stderr);
  const out = JSON.parse(result.stdout);
  assert.equal(out.status, 'succeeded');
  assert.equal(out.usage.calls, 3);
  assert.equal(out.budget.budgetUsd, 1);
  assert.equal(out.budget.heldUsd, 0, 'every reservation settled');
  assert.ok(Math.abs(out.budget.spentUsd - out.usage.costUsd) < 1e-6, `spent ${out.budget.spentUsd} = usage ${out.usage.costUsd}`);
  assert.deepEqual(Object.keys(out.budget.nodes).sort(), ['fields', 'stt', 'summary']);
  // Under a budget every chat call carries an output limit, so its estimate is a bound.
  for (const r of fake.requestsTo('chat')) assert.equal(r.json.max_completion_tokens, 4096);
});

test('tessera run --estimate: a range from the measured audio, without running anything; a bad --budget is a usage error', async () => {
  fake.reset();
  const json = await tessera(['run', example, '-i', `audio=@${audio}`, '--estimate', '--budget', '0.05', '--json'], { env });
  assert.equal(json.code, 0, json.stderr);
  const e = JSON.parse(json.stdout);
  const stt = e.nodes.find((n: { nodeId: string }) => n.nodeId === 'stt');
  assert.ok(Math.abs(stt.calls[0].audioSeconds - 6.4) < 0.2, `measured with ffprobe: ${stt.calls[0].audioSeconds}`);
  assert.ok(e.minUsd > 0 && e.minUsd < e.maxUsd);
  assert.equal(e.budgetUsd, 0.05);
  assert.deepEqual(e.assumptions.filter((a: string) => /audio/.test(a)), [], 'nothing assumed about the audio');

  const human = await tessera(['run', example, '--estimate'], { env });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^estimate for voice-note-to-summary: \$0\.\d+ to \$0\.\d+ \(list prices as of \d{4}-\d{2}-\d{2}/);
  assert.match(human.stdout, /fields \(extract-json\): 1-2 x openai gpt-4o structured, \d+ input tokens \+ up to 4,096 output tokens each/);
  assert.match(human.stdout, /assumed: input "audio" was not given: assumed 60 s of audio/);
  assert.equal(fake.requests.length, 0, 'nothing ran');

  const bad = await tessera(['run', example, '--budget', 'lots'], { env });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error USAGE: --budget must be an amount in US dollars/m);
});
