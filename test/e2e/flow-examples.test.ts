/**
 * The control-flow examples end to end. pdf-pages-to-json from the CLI against `tessera dev`: a 12-page
 * PDF read page by page with offline OCR, three at a time (proved from the activity start and end times
 * Temporal recorded), pages joined in order, fields extracted by the fake provider through the official
 * SDK. voice-note-with-review through the HTTP API: the run waits for the reviewer, the fields are
 * corrected through the approve endpoint, and the summary is written from the corrected fields.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createProviders } from '../../engine/providers/index.ts';
import type { RunPipelineResult } from '../../engine/run/plan.ts';
import { startFakeProviders, type FakeProviders, type RecordedRequest } from '../support/fake-provider-server.ts';
import { fakeKey } from '../support/fake-keys.ts';
import { startDev, tessera, type DevProcess } from '../support/cli.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { savePipeline, uploadBytes } from '../support/api-runs.ts';
import { makePdf } from '../media/pdf-fixture.ts';
import { speechWav } from '../support/speech.ts';
import { waitFor } from '../support/wait-for.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-flow-'));
const example = (name: string) => JSON.parse(readFileSync(new URL(`../../examples/${name}.pipeline.json`, import.meta.url), 'utf8'));
let fake: FakeProviders;

before(async () => {
  fake = await startFakeProviders();
});
after(async () => fake?.close());

/** Most activities of `prefix#i` running at once, from their started and completed events in a history. */
function mostAtOnce(events: { eventId?: unknown; eventTime?: unknown; activityTaskScheduledEventAttributes?: { activityId?: string | null } | null; activityTaskStartedEventAttributes?: { scheduledEventId?: unknown } | null; activityTaskCompletedEventAttributes?: { scheduledEventId?: unknown } | null }[], prefix: string): number {
  const ours = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityId?.startsWith(`${prefix}#`)).map((e) => String(e.eventId)));
  const time = (e: { eventTime?: unknown }) => {
    const t = e.eventTime as { seconds?: { toNumber(): number } | number; nanos?: number };
    return Number(typeof t.seconds === 'number' ? t.seconds : t.seconds?.toNumber()) * 1000 + (t.nanos ?? 0) / 1e6;
  };
  const steps = events.flatMap((e) => {
    const started = e.activityTaskStartedEventAttributes?.scheduledEventId;
    const completed = e.activityTaskCompletedEventAttributes?.scheduledEventId;
    if (started !== undefined && started !== null && ours.has(String(started))) return [{ t: time(e), d: 1 }];
    if (completed !== undefined && completed !== null && ours.has(String(completed))) return [{ t: time(e), d: -1 }];
    return [];
  });
  steps.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const step of steps) most = Math.max(most, (now += step.d));
  return most;
}

describe('pdf-pages-to-json from the CLI', () => {
  let dev: DevProcess;
  const providerEnv = () => ({ OPENAI_API_KEY: fakeKey('sk-flow'), OPENAI_BASE_URL: fake.openaiBaseURL });
  before(async () => {
    dev = await startDev(path.join(dir, 'data'), providerEnv());
  });
  after(async () => dev?.stop());

  test('12 pages OCR\'d three at a time, joined in page order, fields extracted', { timeout: 300_000 }, async () => {
    fake.reset();
    const fields = { title: 'Quarterly report', date: '2026-11-30', parties: ['Tessera'], fields: [{ label: 'pages', value: '12' }] };
    fake.script('chat', (req: RecordedRequest) => (req.json?.response_format ? { value: fields } : { text: 'unused' }));
    const pdf = path.join(dir, 'report.pdf');
    writeFileSync(pdf, makePdf(Array.from({ length: 12 }, (_, i) => [595, 842, `Page ${i + 1} of the report`] as [number, number, string])));

    const result = await tessera(['run', 'examples/pdf-pages-to-json.pipeline.json', '--input', `document=@${pdf}`, '--json'], { env: { ...dev.env, ...providerEnv() } });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const body = JSON.parse(result.stdout);
    assert.equal(body.outputs.pages, 12);
    assert.deepEqual(body.outputs.fields, fields);
    const found = [...(body.outputs.text as string).matchAll(/Page (\d+) of/g)].map((m) => Number(m[1]));
    assert.deepEqual(found, Array.from({ length: 12 }, (_, i) => i + 1), 'every page read, in page order');
    const sent = fake.requestsTo('chat').at(-1)!;
    assert.match(JSON.stringify(sent.json.messages), /Page 1 of the report[\s\S]*Page 12 of the report/, 'the joined text went to the model');

    const connection = await Connection.connect({ address: `127.0.0.1:${dev.env.TESSERA_TEMPORAL_PORT}` });
    try {
      const history = await new Client({ connection }).workflow.getHandle(body.runId).fetchHistory();
      const events = history.events ?? [];
      assert.equal(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityId?.startsWith('read#')).length, 12, 'one activity per page');
      const most = mostAtOnce(events, 'read');
      assert.ok(most <= 3, `at most 3 pages at once (saw ${most})`);
      assert.ok(most >= 2, `pages were read side by side (saw ${most})`);
    } finally {
      await connection.close();
    }
  });
  test('mapped items are cached one by one: a PDF with one page more reads only that page', { timeout: 300_000 }, async () => {
    fake.reset();
    fake.script('chat', { value: { title: 'Memo', date: '2026-11-30', parties: [], fields: [] } });
    const pages = (n: number) => makePdf(Array.from({ length: n }, (_, i) => [595, 842, `Cached page ${i + 1}`] as [number, number, string]));
    const run = async (file: string, n: number) => {
      writeFileSync(file, pages(n));
      const result = await tessera(['run', 'examples/pdf-pages-to-json.pipeline.json', '--input', `document=@${file}`, '--cache', 'on', '--json'], { env: { ...dev.env, ...providerEnv() } });
      assert.equal(result.code, 0, result.stderr + result.stdout);
      const body = JSON.parse(result.stdout);
      const connection = await Connection.connect({ address: `127.0.0.1:${dev.env.TESSERA_TEMPORAL_PORT}` });
      try {
        const { nodes } = (await new Client({ connection }).workflow.getHandle(body.runId).result()) as RunPipelineResult;
        return { ...body, nodes };
      } finally {
        await connection.close();
      }
    };
    const first = await run(path.join(dir, 'three.pdf'), 3);
    assert.deepEqual(first.nodes.read.items, { total: 3, done: 3, failed: 0 });
    const second = await run(path.join(dir, 'four.pdf'), 4);
    assert.deepEqual(second.nodes.read.items, { total: 4, done: 4, failed: 0, cached: 3 }, 'only the new page was read');
    assert.deepEqual([...(second.outputs.text as string).matchAll(/Cached page (\d)/g)].map((m) => m[1]), ['1', '2', '3', '4']);
  });

  test('pdf-summary runs summarise-text (the file beside it) as a child run', { timeout: 300_000 }, async () => {
    fake.reset();
    fake.script('chat', { text: 'A two-page memo about sub-pipelines.' });
    const pdf = path.join(dir, 'memo.pdf');
    writeFileSync(pdf, makePdf([[595, 842, 'First page of the memo'], [595, 842, 'Second page of the memo']]));
    const result = await tessera(['run', 'examples/pdf-summary.pipeline.json', '--input', `document=@${pdf}`, '--json'], { env: { ...dev.env, ...providerEnv() } });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const body = JSON.parse(result.stdout);
    assert.equal(body.outputs.summary, 'A two-page memo about sub-pipelines.');
    const prompt = JSON.stringify(fake.requestsTo('chat')[0].json.messages);
    assert.match(prompt, /in three sentences/, 'the child\'s default for "sentences"');
    assert.match(prompt, /First page of the memo[\s\S]*Second page of the memo/);

    const connection = await Connection.connect({ address: `127.0.0.1:${dev.env.TESSERA_TEMPORAL_PORT}` });
    try {
      const child = new Client({ connection }).workflow.getHandle(`${body.runId}.summarise`);
      assert.equal((await child.describe()).status.name, 'COMPLETED', 'the child ran as its own workflow');
    } finally {
      await connection.close();
    }
  });
});

describe('voice-note-with-review through the API', () => {
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv({ providers: createProviders({ OPENAI_API_KEY: fakeKey('sk-review'), OPENAI_BASE_URL: fake.openaiBaseURL }) });
  });
  after(async () => env?.close());

  test('the run waits for the reviewer, whose corrected fields the summary is written from', { timeout: 180_000 }, async () => {
    fake.reset();
    const heard = { medications: [{ name: 'metformin', dose: '50 mg', frequency: 'twice daily' }], complaints: [], symptoms: [], decisions: [], follow_up: [] };
    const corrected = { ...heard, medications: [{ name: 'metformin', dose: '500 mg', frequency: 'twice daily' }] };
    fake.script('transcriptions', { text: 'Start metformin 500 mg twice daily.' });
    fake.script('chat', (req: RecordedRequest) => (req.json?.response_format ? { value: heard } : { text: 'Metformin 500 mg twice daily was started.' }));

    const wav = path.join(dir, 'note.wav');
    speechWav('voice-note', wav);
    const audio = await uploadBytes(env, readFileSync(wav), 'note.wav');
    const pipelineId = await savePipeline(env, example('voice-note-with-review'));
    const started = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs`, { body: { inputs: { audio } } });
    assert.equal(started.status, 202, started.text);
    const runId = started.json.id;

    let run: any;
    await waitFor(async () => {
      run = (await env.request('GET', `/api/v1/runs/${runId}`)).json;
      return run.status === 'waiting';
    }, { what: 'the run to wait for its review', timeoutMs: 120_000 });
    assert.equal(run.nodes.review.status, 'waiting');
    assert.match(run.nodes.review.approval.instructions, /Check the medications/);
    assert.equal(run.nodes.summary.status, 'pending', 'nothing after the review ran');
    assert.equal(fake.requestsTo('chat').length, 1, 'only the extraction was called so far');

    const approved = await env.request('POST', `/api/v1/runs/${runId}/nodes/review/approve`, { body: { value: corrected } });
    assert.equal(approved.status, 200, approved.text);
    await waitFor(async () => {
      run = (await env.request('GET', `/api/v1/runs/${runId}`)).json;
      return run.status === 'succeeded' || run.status === 'failed';
    }, { what: 'the run to finish', timeoutMs: 120_000 });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(run.outputs.fields, corrected);
    assert.equal(run.nodes.review.approval.edited, true);
    const summaryCall = fake.requestsTo('chat').at(-1)!;
    assert.match(JSON.stringify(summaryCall.json.messages), /500 mg/, 'the summary model saw the corrected dose');
    assert.doesNotMatch(JSON.stringify(summaryCall.json.messages), /"50 mg"/);
  });
});
