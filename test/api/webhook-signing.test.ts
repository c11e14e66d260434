/**
 * Signed webhooks (issue 7 item 10): the signature covers `<timestamp>.<raw body>`; a fresh call runs,
 * the same call replayed is refused, a timestamp 10 minutes off is refused before the body is read, the
 * old body-only signature is refused, and the secret is never in the SQLite file's bytes.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { signatureHeaders } from '../../engine/api/webhooks/signature.ts';
import type { RunRecord } from '../../engine/store/types.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { greetingPipeline } from '../support/fixtures.ts';

let env: ApiEnv;
let key: string;
let pipelineId: string;

before(async () => {
  env = await startApiEnv({ authRequired: true });
  key = (await env.deps.store.createApiKey('webhook signing')).secret;
  pipelineId = (await env.deps.store.createPipeline(greetingPipeline('signed-greeting'))).pipeline.id;
});
after(async () => env?.close());

async function createHook(body: Record<string, unknown>) {
  const response = await env.request('POST', `/api/v1/pipelines/${pipelineId}/webhooks`, { token: key, body });
  assert.equal(response.status, 201, response.text);
  return response.json as { webhook: { id: string }; url: string; secret?: string };
}

async function call(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, text };
}

async function runsOf(webhookId: string): Promise<string[]> {
  const { items } = await env.deps.store.listRuns({ trigger: 'webhook', limit: 200 });
  return items.filter((r) => r.trigger.id === webhookId).map((r) => r.id);
}

async function finished(runId: string): Promise<RunRecord> {
  for (let i = 0; i < 600; i++) {
    const run = await env.deps.store.getRun(runId);
    if (run && run.status !== 'running') return run;
    await sleep(100);
  }
  throw new Error(`run ${runId} did not finish`);
}

const now = () => Math.floor(Date.now() / 1000);

test('a fresh signed call runs once; the same call replayed is SIGNATURE_REPLAYED', async () => {
  const hook = await createHook({ generateSecret: true });
  const body = JSON.stringify({ who: 'Fresh' });
  const headers = signatureHeaders(hook.secret!, body);

  const first = await call(hook.url, body, headers);
  assert.equal(first.status, 202, first.text);
  assert.deepEqual((await finished(first.json.runId)).outputs, { message: 'Hello, Fresh!' });

  const replayed = await call(hook.url, body, headers);
  assert.equal(replayed.status, 401, replayed.text);
  assert.equal(replayed.json.error.code, 'SIGNATURE_REPLAYED');
  assert.deepEqual(await runsOf(hook.webhook.id), [first.json.runId], 'the replay started nothing');

  // A retry signed anew (another timestamp) is a new call.
  const retry = await call(hook.url, body, signatureHeaders(hook.secret!, body, Number(headers['x-tessera-timestamp']) - 1));
  assert.equal(retry.status, 202, retry.text);
});

test('a correctly signed call whose timestamp is 10 minutes off is SIGNATURE_EXPIRED', async () => {
  const hook = await createHook({ generateSecret: true });
  const body = JSON.stringify({ who: 'Late' });
  for (const timestamp of [now() - 600, now() + 600]) {
    const response = await call(hook.url, body, signatureHeaders(hook.secret!, body, timestamp));
    assert.equal(response.status, 401, response.text);
    assert.equal(response.json.error.code, 'SIGNATURE_EXPIRED');
    assert.equal(response.json.error.details.toleranceSeconds, 300);
  }
  assert.deepEqual(await runsOf(hook.webhook.id), []);
});

test('the old signature of the body alone is refused, with or without a timestamp header', async () => {
  const hook = await createHook({ generateSecret: true });
  const body = JSON.stringify({ who: 'Old' });
  const bodyOnly = `sha256=${createHmac('sha256', hook.secret!).update(body).digest('hex')}`;
  const withoutTimestamp = await call(hook.url, body, { 'x-tessera-signature': bodyOnly });
  const withTimestamp = await call(hook.url, body, { 'x-tessera-signature': bodyOnly, 'x-tessera-timestamp': String(now()) });
  for (const refused of [withoutTimestamp, withTimestamp]) {
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.json.error.code, 'SIGNATURE_INVALID');
    assert.match(refused.json.error.message, /x-tessera-timestamp/);
  }
  assert.deepEqual(await runsOf(hook.webhook.id), []);
});

test('webhook secrets are not in the SQLite files, and still verify after the API restarts', async () => {
  const given = `given-secret-${randomBytes(16).toString('hex')}`;
  const chosen = await createHook({ secret: given });
  const generated = await createHook({ generateSecret: true });
  const file = path.join(env.dir, 'tessera.db');
  const bytes = Buffer.concat([file, `${file}-wal`, `${file}-shm`].filter(existsSync).map((f) => readFileSync(f)));
  assert.ok(bytes.length > 0);
  assert.equal(bytes.includes(given), false);
  assert.equal(bytes.includes(generated.secret!), false);

  await env.restartApi(); // a new store and API process state; the key comes from the data folder again
  const body = JSON.stringify({ who: 'Restarted' });
  const response = await call(`${env.url}${new URL(chosen.url).pathname}`, body, signatureHeaders(given, body)); // a new port
  assert.equal(response.status, 202, response.text);
});
