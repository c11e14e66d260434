/**
 * The triggers panel's pure logic: cron and interval descriptions (cronstrue, in the schedule's zone),
 * times, the pipeline's inputs as form fields and back, which runs a schedule started, and the code
 * snippets (curl, TypeScript client, plain and signed webhook calls) with the inputs filled in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import type { RunSummary } from '../../engine/store/types.ts';
import { clientSnippet, runCurl, shellQuote, signedWebhookCurl, webhookCurl } from '../../editor/src/model/call-snippets.ts';
import { describeCron, describeInterval, describeSpec, formatTime, intervalSeconds, relativeTime, specSource } from '../../editor/src/model/schedule-text.ts';
import { exampleValue, initialText, parseInputs, pipelineInputFields } from '../../editor/src/model/trigger-inputs.ts';
import { runsOf } from '../../editor/src/model/trigger-runs.ts';
import { intervalSeconds as apiIntervalSeconds } from '../../engine/api/schedules/spec.ts';
import { ROOT } from '../support/cli.ts';

const greeting = JSON.parse(readFileSync(join(ROOT, 'examples/greeting.pipeline.json'), 'utf8')) as Pipeline;
const voiceNote = JSON.parse(readFileSync(join(ROOT, 'examples/voice-note-to-summary.pipeline.json'), 'utf8')) as Pipeline;

test('cron expressions are described in words; the zone is named; mistakes say what is wrong', () => {
  assert.deepEqual(describeCron('0 7 * * 1-5'), { ok: true, text: 'At 07:00, Monday through Friday' });
  assert.deepEqual(describeCron('*/5 * * * *'), { ok: true, text: 'Every 5 minutes' });
  assert.deepEqual(describeCron('@daily'), { ok: true, text: 'At 00:00' });
  assert.equal(describeSpec({ cron: ['0 7 * * 1-5'], timezone: 'Europe/Lisbon' }), 'At 07:00, Monday through Friday, Europe/Lisbon');
  assert.equal(describeSpec({ cron: ['0 7 * * 1-5'] }), 'At 07:00, Monday through Friday, UTC', 'the API default zone');
  for (const [bad, says] of [['', /Give a cron/], ['0 7 * *', /5 fields.*got 4/], ['0 0 7 * * 1-5', /got 6/], ['61 * * * *', /minutes/], ['@every 5s', /Unknown shorthand/]] as const) {
    const d = describeCron(bad);
    assert.equal(d.ok, false, bad);
    assert.match((d as { problem: string }).problem, says);
  }
});

test('intervals read like the API reads them, and are described', () => {
  for (const v of ['30s', '5m', '2h', '1d', '90', ' 3 S ', 45, '0s', 'x', '1.5m', 0, 2.5]) assert.equal(intervalSeconds(v), apiIntervalSeconds(v), String(v));
  assert.deepEqual(describeInterval('2s'), { ok: true, text: 'Every 2 seconds' });
  assert.deepEqual(describeInterval('1m'), { ok: true, text: 'Every minute' });
  assert.deepEqual(describeInterval('90'), { ok: true, text: 'Every 90 seconds' });
  assert.deepEqual(describeInterval('120'), { ok: true, text: 'Every 2 minutes' });
  assert.deepEqual(describeInterval('48h'), { ok: true, text: 'Every 2 days' });
  assert.equal(describeInterval('soon').ok, false);
  assert.equal(describeSpec({ intervals: ['15m'], timezone: 'Europe/Lisbon' }), 'Every 15 minutes', 'intervals do not depend on a zone');
  assert.equal(specSource({ cron: ['0 7 * * 1-5'], intervals: ['30s'] }), '0 7 * * 1-5; every 30s');
});

test('times are shown in the schedule zone, with how far away they are', () => {
  const t = '2026-01-12T07:00:05.000Z'; // a Monday
  assert.equal(formatTime(t, 'UTC'), 'Mon 12 Jan, 07:00:05');
  assert.equal(formatTime(t, 'Asia/Tokyo'), 'Mon 12 Jan, 16:00:05');
  assert.equal(formatTime('not a time'), 'not a time');
  const now = Date.parse(t);
  assert.equal(relativeTime('2026-01-12T07:00:08.000Z', now), 'in 3 s');
  assert.equal(relativeTime('2026-01-12T06:58:05.000Z', now), '2 min ago');
  assert.equal(relativeTime('2026-01-12T10:00:05.000Z', now), 'in 3 h');
  assert.equal(relativeTime(t, now), 'just now');
  assert.equal(relativeTime('2026-01-12T07:00:05.400Z', now), 'now');
});

test('the input nodes become fields; typed texts become run inputs by kind', () => {
  const fields = pipelineInputFields(greeting);
  assert.deepEqual(fields.map((f) => [f.name, f.kind, f.required, f.editor]), [['who', 'text', true, 'text'], ['profile', 'json', false, 'json']]);
  assert.equal(initialText(fields[1]), JSON.stringify({ city: 'Lisbon' }, null, 2));
  // The default left as shown is left to the pipeline; an empty field is left out.
  assert.deepEqual(parseInputs(fields, { who: 'Ada', profile: initialText(fields[1]) }), { ok: true, inputs: { who: 'Ada' } });
  assert.deepEqual(parseInputs(fields, { who: '', profile: '{"city":"Porto"}' }), { ok: true, inputs: { profile: { city: 'Porto' } } });
  const bad = parseInputs(fields, { who: 'Ada', profile: '{city' });
  assert.equal(bad.ok, false);
  assert.match((bad as { problems: Record<string, string> }).problems.profile, /Not valid JSON/);

  const doc: Pipeline = {
    format: 'tessera.pipeline/v1', name: 'kinds', edges: [],
    nodes: [
      { id: 'a', type: 'input', params: { name: 'notes', kind: 'text[]' } },
      { id: 'b', type: 'input', params: { name: 'photo', kind: 'image' } },
      { id: 'c', type: 'input', params: { name: 'tags', kind: 'text[]', default: ['x', 'y'] } },
      { id: 'd', type: 'text-template', params: { template: '{{a}}' } },
    ],
  };
  const more = pipelineInputFields(doc);
  assert.deepEqual(more.map((f) => f.editor), ['lines', 'media', 'lines']);
  assert.equal(initialText(more[2]), 'x\ny');
  const ref = { sha256: 'a'.repeat(64), mime: 'image/png', size: 3 };
  assert.deepEqual(parseInputs(more, { notes: ' one \n\n two', photo: JSON.stringify(ref), tags: 'x\ny' }), { ok: true, inputs: { notes: ['one', 'two'], photo: ref } });
  const noRef = parseInputs(more, { photo: 'photo.png' });
  assert.match((noRef as { problems: Record<string, string> }).problems.photo, /blob reference/);
  assert.deepEqual(exampleValue(more[0]), ['notes text']);
  assert.deepEqual(exampleValue(more[2]), ['x', 'y']);
});

const summary = (id: string, startedAt: string, triggerId: string): RunSummary => ({
  id, startedAt, pipelineId: 'pl_1', pipelineVersion: 1, pipelineName: 'p', status: 'succeeded', trigger: { type: 'schedule', id: triggerId },
});

test("a schedule's runs: its own from the index, plus those Temporal started that are not indexed yet", () => {
  const schedule = { id: 'sch_a', pipelineId: 'pl_1', version: null, spec: { intervals: ['2s'] }, overlap: 'skip' as const, inputs: {}, paused: false, note: null, createdAt: '', updatedAt: '' };
  const indexed = [summary('sch_a-3', '2026-01-01T00:00:06Z', 'sch_a'), summary('sch_b-2', '2026-01-01T00:00:05Z', 'sch_b'), summary('sch_a-1', '2026-01-01T00:00:02Z', 'sch_a')];
  const temporal = {
    paused: false, nextActionTimes: [], runningRunIds: [], numActionsTaken: 4, numActionsSkippedOverlap: 0,
    recentRuns: ['1', '3', '4'].map((n) => ({ runId: `sch_a-${n}`, scheduledAt: `2026-01-01T00:00:0${n === '4' ? 8 : Number(n) * 2}Z`, startedAt: `2026-01-01T00:00:0${n === '4' ? 8 : Number(n) * 2}Z` })),
  };
  const runs = runsOf(schedule, temporal, { items: indexed });
  assert.deepEqual(runs.map((r) => [r.id, r.status]), [['sch_a-4', 'starting'], ['sch_a-3', 'succeeded'], ['sch_a-1', 'succeeded']]);
  // A page that is not the last: Temporal's runs older than its oldest are in the index, only not read.
  const old = { ...temporal, recentRuns: [{ runId: 'sch_a-0', scheduledAt: '2026-01-01T00:00:00Z', startedAt: '2026-01-01T00:00:00Z' }] };
  assert.deepEqual(runsOf(schedule, old, { items: indexed, nextCursor: 'more' }).map((r) => r.id), ['sch_a-3', 'sch_a-1']);
  assert.deepEqual(runsOf(schedule, null, { items: [] }), []);
});

test('call-from-code lines name the pipeline and its inputs, with the key header when keys are required', () => {
  const ctx = { origin: 'http://127.0.0.1:8080', pipelineId: 'pl_abc', fields: pipelineInputFields(greeting), keyRequired: false };
  assert.equal(runCurl(ctx), [
    'curl -s',
    `-H 'content-type: application/json'`,
    `-d '{"inputs":{"who":"who text","profile":{"city":"Lisbon"}},"wait":60}'`,
    'http://127.0.0.1:8080/api/v1/pipelines/pl_abc/runs',
  ].join(' \\\n  '));
  assert.match(runCurl({ ...ctx, keyRequired: true }), /^curl -s \\\n {2}-H "Authorization: Bearer \$TESSERA_KEY"/);
  const ts = clientSnippet(ctx);
  assert.match(ts, /new TesseraClient\(\{ server: "http:\/\/127\.0\.0\.1:8080" \}\)/);
  assert.match(ts, /api\.startRun\("pl_abc", \{\n {2}inputs: \{\n {4}who: "who text",\n {4}profile: \{"city":"Lisbon"\},/);
  assert.match(clientSnippet({ ...ctx, keyRequired: true }), /token: process\.env\.TESSERA_KEY/);

  // Media inputs go as files: multipart for curl, uploadBlob for the client.
  const media = { ...ctx, fields: pipelineInputFields(voiceNote) };
  assert.match(runCurl(media), /-F '\w+=@\.\/\w+-audio\.m4a'/);
  assert.match(runCurl(media), /\?wait=60'$/);
  assert.match(clientSnippet(media), /await api\.uploadBlob\("\.\/\w+-audio\.m4a"\)/);
  assert.equal(shellQuote(`it's`), `'it'\\''s'`);
});

test('the webhook curl lines are runnable: the signed one signs "<ts>.<body>" as the API checks it', () => {
  const fields = pipelineInputFields(greeting);
  assert.equal(webhookCurl('http://h/api/v1/hooks/tok', fields), [
    'curl -s', `-H 'content-type: application/json'`, `-d '{"who":"who text","profile":{"city":"Lisbon"}}'`, `'http://h/api/v1/hooks/tok'`,
  ].join(' \\\n  '));
  // Run the signing lines in a shell (curl swapped for a function that prints its headers and body).
  const secret = "s3cret-with-'quote'-0123456789";
  const script = signedWebhookCurl('http://h/api/v1/hooks/tok', fields, secret);
  const out = execFileSync('bash', ['-c', `curl() { printf '%s\\n' "$@"; }\n${script}`], { encoding: 'utf8' }).split('\n');
  const ts = out.find((l) => l.startsWith('X-Tessera-Timestamp: '))!.slice('X-Tessera-Timestamp: '.length);
  const sig = out.find((l) => l.startsWith('X-Tessera-Signature: sha256='))!.slice('X-Tessera-Signature: sha256='.length);
  const body = out[out.indexOf('--data-binary') + 1];
  assert.deepEqual(JSON.parse(body), { who: 'who text', profile: { city: 'Lisbon' } });
  assert.equal(sig, createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex'));
  assert.match(signedWebhookCurl('http://h/x', fields), /^SECRET='…the secret…'/);
});
