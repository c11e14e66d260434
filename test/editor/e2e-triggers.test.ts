/**
 * End to end in real Chromium against a real `tessera dev` (issue 9, test e): in the Triggers panel of a
 * saved pipeline, create a schedule every 2 seconds, see its description, next times and its runs appear,
 * pause it, delete it; create a webhook, read its URL from the page, call it over HTTP and see that run
 * appear in the panel; a signed webhook's secret is shown once and signs a call that runs too.
 * No timed assertions: every wait is for a condition, with generous timeouts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ApiClientError, TesseraClient } from '../../engine/api/client/client.ts';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { ROOT } from '../support/cli.ts';
import { launch, screenshot, type Browser } from './support/browser.ts';
import { EditorPage } from './support/editor-page.ts';
import { startEditorServer, startServerAndBrowser, type EditorServer } from './support/editor-server.ts';

/** Long enough for a loaded CI machine: a Temporal schedule, the API's poller and the panel's refresh in a row. */
const SLOW = { timeout: 120_000 };

let server: EditorServer;
let browser: Browser;
let api: TesseraClient;
let pipelineId: string;
let page: Page;

before(async () => {
  ({ server, browser } = await startServerAndBrowser(() => startEditorServer(), () => launch({ height: 1200 })));
  api = new TesseraClient({ server: server.url });
  // greeting: a text input "who", a JSON input "profile" with a default, no provider needed.
  const greeting = JSON.parse(readFileSync(join(ROOT, 'examples/greeting.pipeline.json'), 'utf8')) as Pipeline;
  pipelineId = (await api.createPipeline({ ...greeting, name: 'greeting-triggers' })).pipeline.id;
  page = await browser.newPage();
  const editor = new EditorPage(page, server.url);
  await editor.open(`/pipelines/${encodeURIComponent(pipelineId)}`);
  await page.locator('[data-testid=tab-triggers]').click();
  await page.locator('[data-testid=triggers-panel]').waitFor();
});
after(async () => {
  await browser?.close();
  await server?.cleanup();
});

const panel = () => page.locator('[data-testid=triggers-panel]');

test('(e) a schedule every 2 seconds: described, next times, its runs appear; paused; deleted', async () => {
  await panel().locator('[data-testid=schedules]').getByText('No schedules.').waitFor();
  await screenshot(page, 'e-1-triggers-empty');

  await panel().locator('[data-testid=schedule-new]').click();
  const form = panel().locator('[data-testid=schedule-form]');
  // A cron expression is described as it is typed, in its time zone; a mistake says what is wrong.
  await form.locator('[data-testid=schedule-cron]').fill('0 7 * * 1-5');
  await form.locator('[data-testid=schedule-timezone]').fill('Europe/Lisbon');
  await assertText(form.locator('[data-testid=schedule-description]'), 'At 07:00, Monday through Friday, Europe/Lisbon');
  await form.locator('[data-testid=schedule-cron]').fill('0 7 * *');
  await assertText(form.locator('[data-testid=schedule-description]'), /Expected 5 fields/);
  assert.equal(await form.locator('[data-testid=schedule-create]').isDisabled(), true);
  await form.locator('[data-testid=schedule-cron]').fill('0 7 * * 1-5');
  await form.locator('[data-testid=schedule-cron]').scrollIntoViewIfNeeded();
  await screenshot(page, 'e-2-schedule-form-cron');

  // Cron has a one-minute grain: the test schedules an interval of 2 seconds.
  await form.locator('[data-testid=mode-interval]').check();
  await form.locator('[data-testid=schedule-interval]').fill('2s');
  await assertText(form.locator('[data-testid=schedule-description]'), 'Every 2 seconds');
  await form.locator('[data-input=who] textarea').fill('Schedule');
  assert.match(await form.locator('[data-input=profile] textarea').inputValue(), /"city": "Lisbon"/, 'the default is pre-filled');
  await form.locator('[data-testid=schedule-note]').fill('every two seconds');
  await form.locator('[data-testid=schedule-create]').click();

  const card = panel().locator('[data-testid=schedule]');
  await card.waitFor();
  const scheduleId = (await card.getAttribute('data-schedule-id'))!;
  await assertText(card.locator('[data-testid=schedule-text]'), 'Every 2 seconds');
  assert.equal(await card.locator('[data-testid=schedule-state]').textContent(), 'active');
  // The next five times, from Temporal through the API.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=schedule-next] li').length === 5, undefined, SLOW);
  const stored = await api.getSchedule(scheduleId);
  assert.deepEqual(stored.schedule.spec, { intervals: ['2s'] });
  assert.deepEqual(stored.schedule.inputs, { who: 'Schedule' }, 'the default left as shown is not copied into the schedule');
  assert.equal(stored.schedule.note, 'every two seconds');

  // Its runs appear in the panel by themselves (the panel refreshes through the API) and finish.
  const succeeded = card.locator('[data-testid=trigger-runs] li[data-status=succeeded]');
  await succeeded.first().waitFor(SLOW);
  const runId = (await succeeded.first().getAttribute('data-run-id'))!;
  const run = await api.getRun(runId);
  assert.deepEqual(run.trigger, { type: 'schedule', id: scheduleId });
  assert.equal(run.outputs?.message, 'Hello, Schedule! You live in Lisbon.');
  await card.scrollIntoViewIfNeeded();
  await screenshot(page, 'e-3-schedule-runs');

  await card.locator('[data-testid=schedule-pause]').click();
  await assertText(card.locator('[data-testid=schedule-state]'), 'paused');
  await card.locator('[data-testid=schedule-next-none]').waitFor();
  assert.equal((await api.getSchedule(scheduleId)).temporal?.paused, true);
  await card.locator('[data-testid=schedule-resume]').waitFor();
  await screenshot(page, 'e-4-schedule-paused');

  // Delete asks once more, then the schedule is gone from the panel and from the API; its runs stay.
  await card.locator('[data-testid=schedule-delete]').click();
  await assertText(card.locator('[data-testid=schedule-delete]'), 'Really delete?');
  await card.locator('[data-testid=schedule-delete]').click();
  await card.waitFor({ state: 'detached' });
  assert.deepEqual(await api.listSchedules(pipelineId), []);
  await assert.rejects(api.getSchedule(scheduleId), (err: unknown) => err instanceof ApiClientError && err.code === 'SCHEDULE_NOT_FOUND');
  assert.equal((await api.getRun(runId)).id, runId);
});

test('(e) a webhook made in the panel: its URL called over HTTP starts a run that appears live', async () => {
  const webhooks = panel().locator('[data-testid=webhooks]');
  await webhooks.locator('[data-testid=webhook-create]').click();
  const created = webhooks.locator('[data-testid=webhook-created]');
  await created.waitFor();
  const url = await created.locator('[data-testid=webhook-url]').inputValue();
  assert.match(url, new RegExp(`^${server.url}/api/v1/hooks/\\S+$`));
  const curl = (await created.locator('[data-testid=webhook-curl]').textContent())!;
  assert.ok(curl.includes(url), 'the curl line calls the URL');
  assert.match(curl, /-d '\{"who":"who text","profile":\{"city":"Lisbon"\}\}'/);
  await created.scrollIntoViewIfNeeded();
  await screenshot(page, 'e-5-webhook-created');

  // Called like the curl line does: a JSON body of inputs by name, no key.
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ who: 'Hook' }) });
  assert.equal(response.status, 202);
  const { runId } = (await response.json()) as { runId: string };

  await created.locator('[data-testid=webhook-dismiss]').click();
  const card = webhooks.locator('[data-testid=webhook]');
  await card.waitFor();
  const webhookId = (await card.getAttribute('data-webhook-id'))!;
  await card.locator(`[data-run-id="${runId}"][data-status=succeeded]`).waitFor(SLOW);
  const run = await api.getRun(runId);
  assert.deepEqual(run.trigger, { type: 'webhook', id: webhookId });
  assert.equal(run.outputs?.message, 'Hello, Hook! You live in Lisbon.');
  // The runs list shows it too, and so does the History tab, with the schedule's runs.
  assert.ok((await api.listRuns({ pipelineId, trigger: 'webhook' })).items.some((r) => r.id === runId));
  await page.locator('[data-testid=tab-history]').click();
  await assertText(page.locator(`[data-testid=history-run][data-run-id="${runId}"]`), /webhook/);
  await assertText(page.locator('[data-testid=history-run]').filter({ hasText: 'schedule' }).first(), /succeeded/);
  await page.locator('[data-testid=tab-triggers]').click();
  await card.scrollIntoViewIfNeeded();
  await screenshot(page, 'e-6-webhook-run');

  // Revoked: the URL answers 404 from now on.
  await card.locator('[data-testid=webhook-revoke]').click();
  await card.locator('[data-testid=webhook-revoke]').click();
  await card.waitFor({ state: 'detached' });
  const again = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(again.status, 404);
});

test('(e) a signed webhook: the generated secret is shown once and signs a call that runs', async () => {
  const webhooks = panel().locator('[data-testid=webhooks]');
  await webhooks.locator('[data-testid=webhook-signed]').check();
  await webhooks.locator('[data-testid=webhook-create]').click();
  const created = webhooks.locator('[data-testid=webhook-created]');
  await created.waitFor();
  const url = await created.locator('[data-testid=webhook-url]').inputValue();
  const secret = await created.locator('[data-testid=webhook-secret]').inputValue();
  assert.ok(secret.length >= 16);
  assert.match((await created.locator('[data-testid=webhook-curl]').textContent())!, /openssl dgst -sha256 -hmac "\$SECRET"/);
  await created.scrollIntoViewIfNeeded();
  await screenshot(page, 'e-7-signed-webhook');

  const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"who":"Nobody"}' });
  assert.equal(unsigned.status, 401);
  const body = JSON.stringify({ who: 'Signed' });
  const ts = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tessera-timestamp': ts, 'x-tessera-signature': `sha256=${signature}` },
    body,
  });
  assert.equal(response.status, 202);
  const { runId } = (await response.json()) as { runId: string };
  await created.locator('[data-testid=webhook-dismiss]').click();
  await panel().locator(`[data-testid=webhook] [data-run-id="${runId}"][data-status=succeeded]`).waitFor(SLOW);
  assert.equal((await api.getRun(runId)).outputs?.message, 'Hello, Signed! You live in Lisbon.');
  // Lists never show the secret again.
  assert.equal(await panel().locator('[data-testid=webhook-secret]').count(), 0);
});

test('(e) call from code: curl and TypeScript lines for this pipeline with its inputs', async () => {
  const section = panel().locator('[data-testid=call-from-code]');
  const curl = (await section.locator('[data-testid=run-curl]').textContent())!;
  assert.ok(curl.includes(`${server.url}/api/v1/pipelines/${pipelineId}/runs`));
  assert.match(curl, /"inputs":\{"who":"who text","profile":\{"city":"Lisbon"\}\}/);
  // The line really starts a run (as curl would send it).
  const sent = JSON.parse(/-d '([^']+)'/.exec(curl)![1]) as { inputs: Record<string, unknown>; wait: number };
  const started = await api.startRun(pipelineId, { inputs: { ...sent.inputs, who: 'Code' }, wait: sent.wait });
  assert.equal(started.done && started.run.outputs?.message, 'Hello, Code! You live in Lisbon.');

  await section.locator('[data-testid=code-ts]').click();
  const ts = (await section.locator('[data-testid=run-ts]').textContent())!;
  assert.ok(ts.includes(`api.startRun(${JSON.stringify(pipelineId)}`));
  assert.match(ts, /new TesseraClient\(/);
  await section.scrollIntoViewIfNeeded();
  await screenshot(page, 'e-8-call-from-code');
});

/** Waits until the element's text is (or matches) the expected text. */
async function assertText(locator: ReturnType<Page['locator']>, expected: string | RegExp): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    last = ((await locator.textContent()) ?? '').trim();
    if (typeof expected === 'string' ? last === expected : expected.test(last)) return;
    await page.waitForTimeout(100);
  }
  assert.fail(`expected ${String(expected)}, got "${last}"`);
}
