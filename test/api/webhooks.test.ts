/**
 * Webhooks against the real server (auth on): a public URL starts runs from JSON or multipart bodies,
 * signed webhooks refuse a missing or wrong HMAC without starting anything, revoked URLs answer 404.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { signatureHeaders } from '../../engine/api/webhooks/signature.ts';
import type { RunRecord, RunSummary } from '../../engine/store/types.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { digestPipeline, greetingPipeline } from '../support/fixtures.ts';

const greeting = greetingPipeline('hook-greeting');

const digest = digestPipeline('hook-digest');

let env: ApiEnv;
let key: string;
let greetingId: string;
let digestId: string;

before(async () => {
  env = await startApiEnv({ authRequired: true });
  key = (await env.deps.store.createApiKey('webhooks test')).secret;
  greetingId = (await env.deps.store.createPipeline(greeting)).pipeline.id;
  digestId = (await env.deps.store.createPipeline(digest)).pipeline.id;
});
after(async () => env?.close());

async function createHook(pipelineId: string, body: Record<string, unknown> = {}) {
  const response = await env.request('POST', `/api/v1/pipelines/${pipelineId}/webhooks`, { token: key, body });
  assert.equal(response.status, 201, response.text);
  return response.json as { webhook: { id: string; signed: boolean }; url: string; token: string; secret?: string };
}

/** Calls a hook URL (absolute, as the API returned it) without an API key. */
async function call(url: string, init: { body?: BodyInit; headers?: Record<string, string> } = {}) {
  const response = await fetch(url, { method: 'POST', ...init });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, text };
}

const json = (value: unknown) => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });

async function finished(runId: string): Promise<RunRecord> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = await env.deps.store.getRun(runId);
    if (run && run.status !== 'running') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run?.status ?? 'missing'} after 30 s`);
    await sleep(100);
  }
}

async function runsOf(webhookId: string): Promise<RunSummary[]> {
  const { items } = await env.deps.store.listRuns({ trigger: 'webhook', limit: 200 });
  return items.filter((r) => r.trigger.id === webhookId);
}

test('managing webhooks needs an API key; the URL is public and shows the token once', async () => {
  const refused = await env.request('POST', `/api/v1/pipelines/${greetingId}/webhooks`, { body: {} });
  assert.equal(refused.status, 401);
  assert.equal(refused.json.error.code, 'UNAUTHORIZED');

  const hook = await createHook(greetingId);
  assert.equal(hook.url, `${env.url}/api/v1/hooks/${hook.token}`);
  assert.equal(hook.webhook.signed, false);
  assert.equal(hook.secret, undefined);

  const list = await env.request('GET', `/api/v1/pipelines/${greetingId}/webhooks`, { token: key });
  assert.equal(list.status, 200);
  assert.ok(list.json.items.some((w: { id: string }) => w.id === hook.webhook.id));
  assert.ok(!list.text.includes(hook.token), 'the list never shows a token');

  const unknown = await env.request('POST', '/api/v1/pipelines/pl_nope/webhooks', { token: key, body: {} });
  assert.equal(unknown.json.error.code, 'PIPELINE_NOT_FOUND');
});

test('a JSON body starts a run with trigger webhook; { inputs } works too', async () => {
  const hook = await createHook(greetingId);
  const first = await call(hook.url, json({ who: 'Ada' }));
  assert.equal(first.status, 202, first.text);
  const second = await call(hook.url, json({ inputs: { who: 'Grace' } }));
  assert.equal(second.status, 202, second.text);

  const run = await finished(first.json.runId);
  assert.equal(run.status, 'succeeded');
  assert.deepEqual(run.outputs, { message: 'Hello, Ada!' });
  assert.deepEqual(run.trigger, { type: 'webhook', id: hook.webhook.id });
  assert.deepEqual((await finished(second.json.runId)).outputs, { message: 'Hello, Grace!' });

  const listed = await env.request('GET', `/api/v1/runs?trigger=webhook&pipelineId=${greetingId}`, { token: key });
  if (listed.status === 200) assert.ok(listed.json.items.some((r: { id: string }) => r.id === run.id), 'GET /runs lists the webhook run');
  assert.deepEqual((await runsOf(hook.webhook.id)).map((r) => r.id).sort(), [first.json.runId, second.json.runId].sort());
});

test('inputs that do not fit the pipeline are a 400 and start nothing', async () => {
  const hook = await createHook(greetingId);
  const missing = await call(hook.url, json({}));
  assert.equal(missing.status, 400);
  assert.equal(missing.json.error.code, 'RUN_INPUT_MISSING');
  const unknown = await call(hook.url, json({ who: 'Ada', age: 3 }));
  assert.equal(unknown.json.error.code, 'RUN_INPUT_UNKNOWN');
  const notJson = await call(hook.url, { body: '{"who":', headers: { 'content-type': 'application/json' } });
  assert.equal(notJson.status, 400);
  const plain = await call(hook.url, { body: 'who=Ada', headers: { 'content-type': 'text/plain' } });
  assert.equal(plain.status, 415);
  assert.equal(plain.json.error.code, 'UNSUPPORTED_MEDIA');
  assert.deepEqual(await runsOf(hook.webhook.id), []);
});

test('a multipart body streams its file into the blob store and runs with it', async () => {
  const hook = await createHook(digestId);
  const bytes = Buffer.from('%PDF-1.4\n% a tiny document for the webhook test\n');
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'scan.pdf');
  form.append('note', 'from the scanner');
  const response = await call(hook.url, { body: form });
  assert.equal(response.status, 202, response.text);

  const run = await finished(response.json.runId);
  assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
  assert.equal(run.outputs?.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.equal(run.outputs?.note, 'from the scanner');
  assert.equal((run.inputs.file as { name?: string }).name, 'scan.pdf');
  assert.deepEqual(run.trigger, { type: 'webhook', id: hook.webhook.id });
});

test('a signed webhook runs only with the right X-Tessera-Timestamp and X-Tessera-Signature', async () => {
  const hook = await createHook(greetingId, { generateSecret: true });
  assert.equal(hook.webhook.signed, true);
  assert.ok(hook.secret && hook.secret.length >= 32);
  const body = JSON.stringify({ who: 'Signed' });

  const good = await call(hook.url, { body, headers: { 'content-type': 'application/json', ...signatureHeaders(hook.secret!, body) } });
  assert.equal(good.status, 202, good.text);
  assert.deepEqual((await finished(good.json.runId)).outputs, { message: 'Hello, Signed!' });

  const wrongSecret = await call(hook.url, { body, headers: { 'content-type': 'application/json', ...signatureHeaders('not-the-secret-at-all', body) } });
  const otherBody = await call(hook.url, {
    body: JSON.stringify({ who: 'Mallory' }),
    headers: { 'content-type': 'application/json', ...signatureHeaders(hook.secret!, body) },
  });
  const missing = await call(hook.url, json({ who: 'Nobody' }));
  const malformed = await call(hook.url, { body, headers: { 'content-type': 'application/json', 'x-tessera-signature': 'sha256=abc' } });
  for (const refused of [wrongSecret, otherBody, missing, malformed]) {
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.json.error.code, 'SIGNATURE_INVALID');
  }

  // Multipart is signed over its raw bytes as well.
  const multipartHook = await createHook(digestId, { secret: 'a-shared-secret-of-the-sender' });
  const request = new Request('http://local/', { method: 'POST', body: formWith('signed form') });
  const raw = Buffer.from(await request.arrayBuffer());
  const contentType = request.headers.get('content-type')!;
  const signed = await call(multipartHook.url, { body: raw, headers: { 'content-type': contentType, ...signatureHeaders('a-shared-secret-of-the-sender', raw) } });
  assert.equal(signed.status, 202, signed.text);
  assert.equal((await finished(signed.json.runId)).status, 'succeeded');
  const forged = await call(multipartHook.url, { body: raw, headers: { 'content-type': contentType, ...signatureHeaders('guess', raw) } });
  assert.equal(forged.status, 401);

  assert.deepEqual((await runsOf(hook.webhook.id)).map((r) => r.id), [good.json.runId], 'refused calls started no run');
  assert.deepEqual((await runsOf(multipartHook.webhook.id)).map((r) => r.id), [signed.json.runId]);
});

function formWith(note: string): FormData {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(`plain text document: ${note}\n`)], { type: 'text/plain' }), 'note.txt');
  form.append('note', note);
  return form;
}

test('a revoked webhook answers 404 WEBHOOK_NOT_FOUND', async () => {
  const hook = await createHook(greetingId);
  const revoked = await env.request('DELETE', `/api/v1/webhooks/${hook.webhook.id}`, { token: key });
  assert.equal(revoked.status, 204);
  const response = await call(hook.url, json({ who: 'Ada' }));
  assert.equal(response.status, 404);
  assert.equal(response.json.error.code, 'WEBHOOK_NOT_FOUND');
  const unknownToken = await call(`${env.url}/api/v1/hooks/not-a-token`, json({ who: 'Ada' }));
  assert.equal(unknownToken.json.error.code, 'WEBHOOK_NOT_FOUND');
  const again = await env.request('DELETE', '/api/v1/webhooks/wh_nope', { token: key });
  assert.equal(again.json.error.code, 'WEBHOOK_NOT_FOUND');

  const list = await env.request('GET', `/api/v1/pipelines/${greetingId}/webhooks`, { token: key });
  const listed = list.json.items.find((w: { id: string }) => w.id === hook.webhook.id);
  assert.ok(listed.revokedAt, 'the list shows the webhook as revoked');
  assert.deepEqual(await runsOf(hook.webhook.id), []);
});
