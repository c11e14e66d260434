/**
 * The output cache end to end, as a user iterates on voice-note-to-summary: `tessera run` against a
 * `tessera dev` with the official SDKs talking to the fake provider server, every provider request
 * counted there. A second identical run makes no provider call and reports every task node cached;
 * changing the summary prompt re-runs only the summary; `refresh` re-runs all; a run on the shared
 * queue (the dev process's worker) reuses what the CLI's worker cached; without `on`, provider nodes
 * are not cached; `tessera cache clear` empties it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeProviders, type FakeProviders, type RecordedRequest } from '../support/fake-provider-server.ts';
import { ROOT, startDev, tessera, type DevProcess } from '../support/cli.ts';
import { fakeKey } from '../support/fake-keys.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-cache-e2e-'));
const audio = path.join(ROOT, 'test/fixtures/speech/voice-note.ogg');
const TRANSCRIPT = 'Patient reports headaches. Start metformin five hundred milligrams twice daily. Review in two weeks.';
let fake: FakeProviders;
let dev: DevProcess;
let env: Record<string, string>;

before(async () => {
  fake = await startFakeProviders();
  const providerEnv = { OPENAI_API_KEY: fakeKey('sk-cache'), OPENAI_BASE_URL: fake.openaiBaseURL };
  dev = await startDev(path.join(dir, 'data'), providerEnv);
  env = { ...dev.env, ...providerEnv };
});
after(async () => {
  await dev?.stop();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every transcription answers the transcript; every chat its default (echo, or JSON from the schema). */
function script(): void {
  fake.reset();
  for (let i = 0; i < 20; i++) fake.script('transcriptions', { text: TRANSCRIPT });
}

async function run(file: string, ...args: string[]) {
  const result = await tessera(['run', file, '--input', `audio=@${audio}`, '--json', ...args], { env });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as { runId: string; status: string; outputs: Record<string, unknown>; usage: { calls: number }; cached: string[] };
}

const isSummary = (r: RecordedRequest) => JSON.stringify(r.json?.messages ?? []).includes('Summarise');
const example = path.join(ROOT, 'examples/voice-note-to-summary.pipeline.json');

test('a second identical run makes no provider call; a changed prompt re-runs only its node; refresh re-runs all', async () => {
  script();
  const first = await run(example, '--cache', 'on');
  assert.equal(first.status, 'succeeded');
  assert.deepEqual(first.cached, [], 'nothing cached yet');
  const firstCalls = fake.requests.length;
  assert.equal(firstCalls, 3, 'transcribe, extract-json and summary each called their provider once');
  assert.equal(first.usage.calls, 3);

  const second = await run(example, '--cache', 'on');
  assert.equal(fake.requests.length, firstCalls, 'the second run made no provider call');
  assert.deepEqual(second.cached.sort(), ['fields', 'stt', 'summary']);
  assert.equal(second.usage.calls, 0, 'nothing charged');
  assert.deepEqual(second.outputs, first.outputs, 'the same outputs');

  // Iterating on the last node: a new summary prompt costs one call, the summary's.
  const doc = JSON.parse(readFileSync(example, 'utf8'));
  doc.nodes.find((n: { id: string }) => n.id === 'summary').params.prompt = 'Summarise this voice note in one sentence.\n\nTranscript:\n{{transcript}}';
  const edited = path.join(dir, 'edited.pipeline.json');
  writeFileSync(edited, JSON.stringify(doc));
  const third = await run(edited, '--cache', 'on');
  const newCalls = fake.requests.slice(firstCalls);
  assert.equal(newCalls.length, 1, 'one provider call');
  assert.equal(newCalls[0].route, 'chat');
  assert.ok(isSummary(newCalls[0]), 'the summary\'s');
  assert.deepEqual(third.cached.sort(), ['fields', 'stt']);

  const before = fake.requests.length;
  const refreshed = await run(example, '--cache', 'refresh');
  assert.equal(fake.requests.length - before, 3, 'refresh runs every node again');
  assert.deepEqual(refreshed.cached, []);
});

test('provider nodes are not cached unless asked; another worker process reuses the cache', async () => {
  script();
  const auto = await run(example);
  assert.deepEqual(auto.cached, [], 'auto: AI nodes run (their answers vary, and a user may want a fresh one)');
  assert.equal(fake.requests.length, 3);

  // The dev process's own worker (the shared queue) finds what the CLI's worker stored in the data folder.
  const shared = await run(example, '--cache', 'on', '--shared-queue');
  assert.equal(fake.requests.length, 3, 'no new call');
  assert.deepEqual(shared.cached.sort(), ['fields', 'stt', 'summary']);
});

test('tessera cache stats and clear; a run after clearing pays again', async () => {
  const stats = await tessera(['cache', 'stats', '--json'], { env });
  assert.equal(stats.code, 0, stats.stderr);
  assert.ok(JSON.parse(stats.stdout).entries >= 3);
  const cleared = await tessera(['cache', 'clear', '--type', 'llm', '--json'], { env });
  assert.ok(JSON.parse(cleared.stdout).removed >= 1);
  script();
  const after = await run(example, '--cache', 'on');
  assert.deepEqual(after.cached.sort(), ['fields', 'stt'], 'only the llm node ran again');
  assert.equal(fake.requests.length, 1);
  const all = await tessera(['cache', 'clear'], { env });
  assert.match(all.stdout, /Removed \d+ cached node outputs?/);
  assert.equal(JSON.parse((await tessera(['cache', 'stats', '--json'], { env })).stdout).entries, 0);
  const bad = await tessera(['run', example, '--cache', 'sometimes'], { env });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--cache must be one of auto, on, refresh, off/);
});
