/**
 * Running pipelines from the editor, end to end in real Chromium against a real `tessera dev` whose
 * providers are the fake provider server (the official SDKs over HTTP): (a) upload the voice note
 * through the file input, run voice-note-to-summary, watch the nodes go running -> succeeded, read the
 * transcript and the extracted JSON; (b) a rate limit shows as a retry, then success; a non-retryable
 * error fails the run and the failing node shows the message; (c) cancel a slow run; (d) reload during a
 * run and keep following it; history lists the runs and opens one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { TesseraClient } from '../../engine/api/client/client.ts';
import { ROOT } from '../support/cli.ts';
import { makePdf } from '../media/pdf-fixture.ts';
import { fakeKey } from '../support/fake-keys.ts';
import { startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';
import { launch, screenshot, type Browser } from './support/browser.ts';
import { startEditorServer, startServerAndBrowser, type EditorServer } from './support/editor-server.ts';

const VOICE_NOTE = join(ROOT, 'test/fixtures/speech/voice-note.ogg');
const TRANSCRIPT = 'Patient reports headaches. Start metformin five hundred milligrams twice daily. Review in two weeks.';

let fake: FakeProviders;
let server: EditorServer;
let browser: Browser;
let api: TesseraClient;
let pipelineId: string;

before(async () => {
  fake = await startFakeProviders();
  ({ server, browser } = await startServerAndBrowser(
    () => startEditorServer({ env: { OPENAI_API_KEY: fakeKey('sk-editor'), OPENAI_BASE_URL: fake.openaiBaseURL } }),
    () => launch(),
  ));
  api = new TesseraClient({ server: server.url });
  const example = JSON.parse(readFileSync(join(ROOT, 'examples/voice-note-to-summary.pipeline.json'), 'utf8')) as Pipeline;
  pipelineId = (await api.createPipeline(example)).pipeline.id;
});
after(async () => {
  await browser?.close();
  await server?.cleanup();
  await fake?.close();
});

type Hooks = { run(): { status: string; nodes: Record<string, { status: string; attempt?: number }> } | undefined; runRecord(): { id: string } | undefined };

async function openPipeline(page: Page, path = `/pipelines/${pipelineId}`): Promise<void> {
  await page.goto(`${server.url}${path}`);
  await page.waitForFunction(() => 'tesseraEditor' in window);
  await page.locator('[data-testid=node]').first().waitFor();
}

/** The state of a node as drawn on the canvas (its badge), waited for. */
async function waitForNodeState(page: Page, nodeId: string, status: string, timeout = 60_000): Promise<void> {
  await page.locator(`[data-node-id="${nodeId}"][data-run-status="${status}"]`).waitFor({ timeout });
}

async function startFromRunTab(page: Page): Promise<string> {
  await page.locator('[data-testid=tab-run]').click();
  await page.locator('[data-testid=file-audio]').setInputFiles(VOICE_NOTE);
  await page.locator('[data-testid=run-input-audio] [data-testid=uploaded]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=run]').click();
  await page.waitForURL(/\/runs\/[^/]+$/, { timeout: 30_000 });
  return decodeURIComponent(page.url().split('/runs/')[1]);
}

async function runStatus(page: Page, status: string, timeout = 90_000): Promise<void> {
  try {
    await page.locator(`[data-testid=run-status][data-status="${status}"]`).waitFor({ timeout });
  } catch (err) {
    await screenshot(page, `run-timeout-waiting-for-${status}`);
    throw err;
  }
}

test('(a) upload the voice note, run, watch the nodes go running -> succeeded, read the transcript and the JSON', async () => {
  fake.reset();
  // Long enough that the page sees the transcription running.
  fake.script('transcriptions', { text: TRANSCRIPT, delayMs: 2500 });
  const page = await browser.newPage();
  const seen = new Set<string>();
  await openPipeline(page);
  await page.exposeFunction('noteState', (s: string) => seen.add(s));
  await page.evaluate(() => {
    // Records every state the transcribe node's badge shows, however briefly.
    new MutationObserver(() => {
      const status = document.querySelector('[data-node-id="stt"]')?.getAttribute('data-run-status');
      if (status) (window as unknown as { noteState(s: string): void }).noteState(status);
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-run-status'], childList: true });
  });
  const runId = await startFromRunTab(page);
  await waitForNodeState(page, 'stt', 'running');
  await screenshot(page, 'run-a1-running');
  await runStatus(page, 'succeeded');
  for (const nodeId of ['note', 'stt', 'fields', 'summary', 'out-fields', 'out-summary', 'out-transcript']) await waitForNodeState(page, nodeId, 'succeeded', 10_000);
  assert.ok(seen.has('running') && seen.has('succeeded'), `the transcribe node was seen running then succeeded (${[...seen]})`);
  // Every connection's value arrived.
  assert.equal(await page.locator('[data-testid=connection][data-arrived=yes]').count(), 6);

  // The run panel has the outputs: the transcript as text, the fields as a JSON tree.
  await page.locator('[data-testid=run-output-transcript] [data-testid=value-text]').filter({ hasText: 'metformin' }).waitFor();
  await page.locator('[data-testid=run-output-fields] [data-testid=json-tree]').first().waitFor();
  await screenshot(page, 'run-a2-finished');

  // Clicking the transcribe node shows its own outputs, from the API's per-node outputs.
  await page.locator('[data-node-id="stt"] [data-testid=title]').click();
  await page.locator('[data-testid=node-run][data-status=succeeded]').waitFor();
  const text = await page.locator('[data-testid=node-output-text] [data-testid=value-text]').textContent();
  assert.equal(text, TRANSCRIPT);
  await page.locator('[data-node-id="fields"] [data-testid=title]').click();
  await page.locator('[data-testid=node-output-json] [data-testid=json-tree]').first().waitFor();
  await page.locator('[data-node-id="note"] [data-testid=title]').click();
  await page.locator('[data-testid=node-output-value] [data-testid=value-audio]').waitFor();
  await screenshot(page, 'run-a3-node-outputs');

  // What the page shows is what the API recorded.
  const run = await api.getRun(runId);
  assert.equal(run.status, 'succeeded');
  assert.equal(run.outputs?.transcript, TRANSCRIPT);
  const sent = fake.requestsTo('transcriptions')[0];
  assert.ok(sent.form?.files[0].size, 'the uploaded audio reached the provider');
  await page.close();
});

test('(b) a rate limit shows as a retry, then success; a non-retryable error fails the run on its node', async () => {
  fake.reset();
  fake.fault('transcriptions', 'rate-limit', { retryAfter: 2 });
  fake.script('transcriptions', { text: TRANSCRIPT });
  const page = await browser.newPage();
  await openPipeline(page);
  const runId = await startFromRunTab(page);
  await runStatus(page, 'succeeded');
  const state = await page.evaluate(() => (window as unknown as { tesseraEditor: Hooks }).tesseraEditor.run()!.nodes.stt);
  assert.equal(state.status, 'succeeded');
  assert.equal(state.attempt, 2, 'the node succeeded on its second attempt');
  await page.locator('[data-node-id="stt"] [data-testid=title]').click();
  await page.locator('[data-testid=node-run]').filter({ hasText: 'attempt 2' }).waitFor();
  const events = [];
  for await (const e of api.followEvents(runId)) events.push(e);
  assert.ok(events.some((e) => e.type === 'node.retrying' && e.data.nodeId === 'stt'), 'the API reported the retry');

  // Out of quota: not retried, the run fails naming the node, the node shows the message.
  fake.reset();
  fake.script('transcriptions', { text: TRANSCRIPT });
  fake.fault('chat', 'rate-limit', { code: 'insufficient_quota', message: 'You exceeded your current quota.' });
  fake.fault('chat', 'rate-limit', { code: 'insufficient_quota', message: 'You exceeded your current quota.' });
  await page.locator('[data-testid=tab-run]').click();
  await page.locator('[data-testid=close-run]').click();
  await page.waitForURL(/\/pipelines\/[^/]+$/);
  await startFromRunTab(page);
  await runStatus(page, 'failed');
  const failure = await page.locator('[data-testid=run-failure]').textContent();
  assert.match(failure ?? '', /PROVIDER_QUOTA_EXCEEDED|NODE_FAILED/);
  await page.locator('[data-testid=show-failing-node]').click();
  const failed = page.locator('[data-node-id][data-run-status=failed]');
  await failed.first().waitFor();
  const failedId = await failed.first().getAttribute('data-node-id');
  assert.ok(failedId === 'fields' || failedId === 'summary', `a chat node failed (${failedId})`);
  assert.match((await page.locator(`[data-node-id="${failedId}"] [data-testid=node-run-error]`).textContent()) ?? '', /quota/i);
  await page.locator('[data-testid=node-error]').filter({ hasText: /quota/i }).waitFor();
  await screenshot(page, 'run-b-failed-node');
  await page.close();
});

test('(c) cancel a slow run from the editor', async () => {
  fake.reset();
  fake.script('transcriptions', { text: TRANSCRIPT, delayMs: 60_000 });
  const page = await browser.newPage();
  await openPipeline(page);
  const runId = await startFromRunTab(page);
  await waitForNodeState(page, 'stt', 'running');
  await page.locator('[data-testid=cancel-run]').click();
  await runStatus(page, 'cancelled', 60_000);
  assert.equal((await api.getRun(runId)).status, 'cancelled');
  assert.notEqual(await page.locator('[data-node-id="stt"]').getAttribute('data-run-status'), 'succeeded');
  await page.close();
});

test('(d) reload during a run and keep following it to the end; history lists it and opens it', async () => {
  fake.reset();
  fake.script('transcriptions', { text: TRANSCRIPT, delayMs: 6000 });
  const page = await browser.newPage();
  await openPipeline(page);
  const runId = await startFromRunTab(page);
  await waitForNodeState(page, 'stt', 'running');
  await page.reload();
  await page.waitForFunction(() => 'tesseraEditor' in window);
  assert.ok(page.url().endsWith(`/runs/${encodeURIComponent(runId)}`), 'the run is in the URL');
  await runStatus(page, 'succeeded');
  await waitForNodeState(page, 'out-summary', 'succeeded');
  assert.equal(await page.evaluate(() => (window as unknown as { tesseraEditor: Hooks }).tesseraEditor.runRecord()?.id), runId);

  // History: this run is listed; opening an earlier one shows it on the canvas.
  await page.locator('[data-testid=tab-history]').click();
  const rows = page.locator('[data-testid=history-run]');
  await rows.filter({ has: page.locator('.status.cancelled') }).first().waitFor();
  assert.ok((await rows.count()) >= 4, 'the runs of the earlier tests are listed');
  await screenshot(page, 'run-d-history');
  await page.locator(`[data-testid=history-run][data-status=cancelled]`).first().click();
  await page.locator('[data-testid=tab-run]').click();
  await runStatus(page, 'cancelled');
  assert.notEqual(page.url().split('/runs/')[1], encodeURIComponent(runId));
  await page.close();
});

test('(f) keys required: a voice note recorded from the microphone runs and its live events arrive, the key never in a URL', async () => {
  fake.reset();
  fake.script('transcriptions', { text: TRANSCRIPT, delayMs: 1500 });
  const secured = await startEditorServer({ auth: true, env: { OPENAI_API_KEY: fakeKey('sk-editor'), OPENAI_BASE_URL: fake.openaiBaseURL } });
  // Chromium's fake microphone (a beeping tone) stands in for a person speaking.
  const micBrowser = await launch({ args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
  try {
    const key = await secured.createKey('editor-run');
    const securedApi = new TesseraClient({ server: secured.url, token: key });
    const example = JSON.parse(readFileSync(join(ROOT, 'examples/voice-note-to-summary.pipeline.json'), 'utf8')) as Pipeline;
    const id = (await securedApi.createPipeline(example)).pipeline.id;

    const page = await micBrowser.newPage();
    const urls: string[] = [];
    const streams: { url: string; bearer: boolean }[] = [];
    page.on('request', (r) => {
      urls.push(r.url());
      if (r.url().includes('/events')) streams.push({ url: r.url(), bearer: (r.headers().authorization ?? '').startsWith('Bearer ') });
    });
    await page.goto(`${secured.url}/pipelines/${id}`);
    await page.locator('[data-testid=key-input]').fill(key);
    await page.locator('[data-testid=key-submit]').click();
    await page.locator('[data-testid=node]').first().waitFor();

    await page.locator('[data-testid=tab-run]').click();
    await page.locator('[data-testid=record-audio]').click();
    await page.locator('[data-testid=record-audio].recording').waitFor();
    await page.waitForTimeout(1500); // a second and a half of "speech"
    await page.locator('[data-testid=record-audio]').click();
    await page.locator('[data-testid=run-input-audio] [data-testid=uploaded]').waitFor({ timeout: 30_000 });
    assert.match((await page.locator('[data-testid=upload-audio] .file-name').textContent()) ?? '', /^voice-note-.*\.(webm|ogg)$/);
    await page.locator('[data-testid=run]').click();
    await page.waitForURL(/\/runs\/[^/]+$/, { timeout: 30_000 });
    await waitForNodeState(page, 'stt', 'running');
    await runStatus(page, 'succeeded');
    await screenshot(page, 'run-f-recorded-with-key');

    assert.ok(streams.length > 0, 'the page read the event stream');
    assert.ok(streams.every((s) => s.bearer), 'every event stream request carried the key in its Authorization header');
    assert.ok(urls.every((u) => !u.includes(key)), 'the key is in no URL');
    const sent = fake.requestsTo('transcriptions').at(-1)!;
    assert.ok((sent.form?.files[0].size ?? 0) > 1000, 'the recording reached the provider');
    await page.close();
  } finally {
    await micBrowser.close();
    await secured.cleanup();
  }
});

test('documents and images: a PDF output shows page previews, an image a thumbnail that opens full size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-e2e-media-'));
  const pdfPath = join(dir, 'report.pdf');
  writeFileSync(pdfPath, makePdf([[612, 792, 'Page one'], [612, 792, 'Page two']]));
  const doc = {
    format: 'tessera.pipeline/v1',
    name: 'media-echo',
    nodes: [
      { id: 'doc', type: 'input', params: { name: 'doc', kind: 'document' } },
      { id: 'pic', type: 'input', params: { name: 'pic', kind: 'image' } },
      { id: 'doc-out', type: 'output', params: { name: 'document' } },
      { id: 'pic-out', type: 'output', params: { name: 'picture' } },
    ],
    edges: [{ from: 'doc.value', to: 'doc-out.value' }, { from: 'pic.value', to: 'pic-out.value' }],
  } as Pipeline;
  const id = (await api.createPipeline(doc)).pipeline.id;
  const page = await browser.newPage();
  await openPipeline(page, `/pipelines/${id}`);
  await page.locator('[data-testid=tab-run]').click();
  await page.locator('[data-testid=file-doc]').setInputFiles(pdfPath);
  await page.locator('[data-testid=file-pic]').setInputFiles(join(ROOT, 'test/fixtures/pixel.png'));
  await page.locator('[data-testid=run-input-doc] [data-testid=uploaded]').waitFor();
  await page.locator('[data-testid=run-input-pic] [data-testid=uploaded]').waitFor();
  await page.locator('[data-testid=run]').click();
  await runStatus(page, 'succeeded');
  const previews = page.locator('[data-testid=run-output-document] [data-testid=value-page]');
  await previews.nth(1).waitFor();
  assert.equal(await previews.count(), 2, 'both pages previewed');
  const width = await previews.first().evaluate((img: HTMLImageElement) => img.naturalWidth);
  assert.ok(width > 500, `the preview is a rendered page (${width} px wide)`);
  const thumb = page.locator('[data-testid=run-output-picture] [data-testid=value-image]');
  await thumb.waitFor();
  assert.ok(await thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the image loaded from the blob store');
  await thumb.click();
  await page.locator('.modal-backdrop .value-full').waitFor();
  await screenshot(page, 'run-g-media-outputs');
  await page.close();
  rmSync(dir, { recursive: true, force: true });
});

test('with the cache on, running the same voice note again shows every AI node cached and calls no provider', async () => {
  fake.reset();
  for (let i = 0; i < 3; i++) fake.script('transcriptions', { text: TRANSCRIPT });
  const page = await browser.newPage();
  await openPipeline(page);
  await page.locator('[data-testid=tab-run]').click();
  await page.locator('[data-testid=run-cache]').selectOption('on');
  await startFromRunTab(page);
  await runStatus(page, 'succeeded');
  const calls = fake.requests.length;
  assert.equal(calls, 3);

  await page.locator('[data-testid=close-run]').click();
  await page.waitForURL(/\/pipelines\/[^/]+$/);
  await page.locator('[data-testid=run-cache]').selectOption('on');
  await startFromRunTab(page);
  await runStatus(page, 'succeeded');
  for (const nodeId of ['stt', 'fields', 'summary']) await page.locator(`[data-node-id="${nodeId}"][data-cached=yes]`).waitFor();
  assert.equal(fake.requests.length, calls, 'no provider call the second time');
  await page.locator('[data-node-id="stt"] [data-testid=title]').click();
  await page.locator('[data-testid=node-cached]').waitFor();
  await screenshot(page, 'run-h-cached');
  await page.close();
});

test('run from a node reuses the earlier run upstream; pinning a node\'s outputs saves them in the file and runs skip it', async () => {
  fake.reset();
  fake.script('transcriptions', { text: TRANSCRIPT });
  const page = await browser.newPage();
  await openPipeline(page);
  await startFromRunTab(page);
  await runStatus(page, 'succeeded');
  assert.equal(fake.requestsTo('transcriptions').length, 1);

  // Run from the summary: the transcription is reused from this run, the summary (and the fields) run again.
  const firstRun = page.url().split('/runs/')[1];
  await page.locator('[data-node-id="summary"] [data-testid=title]').click();
  await page.locator('[data-testid=run-from-here]').click();
  await page.waitForURL((url) => url.pathname.includes('/runs/') && !url.pathname.endsWith(`/runs/${firstRun}`), { timeout: 30_000 });
  await page.locator('[data-node-id="stt"][data-run-status=succeeded] [data-testid=node-run-state]').filter({ hasText: 'reused' }).waitFor({ timeout: 60_000 });
  await page.locator('[data-node-id="out-summary"][data-run-status=succeeded]').waitFor({ timeout: 60_000 });
  assert.equal(fake.requestsTo('transcriptions').length, 1, 'no new transcription');

  // Pin the transcript: the file keeps it, and the next run needs no audio and calls no transcription.
  await page.locator('[data-node-id="stt"] [data-testid=title]').click();
  await page.locator('[data-testid=pin-outputs]').click();
  await page.locator('[data-node-id="stt"] [data-testid=node-pinned]').waitFor();
  await page.locator('[data-testid=save]').click();
  await page.locator('[data-testid=unsaved]').waitFor({ state: 'detached' });
  const saved = await api.getVersion(pipelineId);
  assert.equal((saved.document.nodes.find((n) => n.id === 'stt')!.pinned!.outputs as { text: string }).text, TRANSCRIPT);
  await page.locator('[data-testid=tab-run]').click();
  assert.equal(await page.locator('[data-testid=run-input-audio]').count(), 0, 'the audio only fed the pinned node: not asked for');
  const fromRun = page.url().split('/runs/')[1];
  await page.locator('[data-testid=run]').click();
  await page.waitForURL((url) => url.pathname.includes('/runs/') && !url.pathname.endsWith(`/runs/${fromRun}`), { timeout: 30_000 });
  await runStatus(page, 'succeeded');
  await page.locator('[data-node-id="note"][data-run-status=skipped]').waitFor();
  await screenshot(page, 'run-i-pinned');
  await page.locator('[data-node-id="stt"][data-run-status=succeeded] [data-testid=node-run-state]').filter({ hasText: 'pinned' }).waitFor();
  await page.locator('[data-node-id="out-summary"][data-run-status=succeeded]').waitFor();
  assert.equal(fake.requestsTo('transcriptions').length, 1, 'still no new transcription');
  await screenshot(page, 'run-i-pinned');

  // Remove the pin again (later tests use this pipeline unpinned).
  await page.locator('[data-node-id="stt"] [data-testid=title]').click();
  await page.locator('[data-testid=tab-node]').click();
  await page.locator('[data-testid=unpin]').click();
  await page.locator('[data-testid=save]').click();
  await page.locator('[data-testid=unsaved]').waitFor({ state: 'detached' });
  assert.equal((await api.getVersion(pipelineId)).document.nodes.find((n) => n.id === 'stt')!.pinned, undefined);
  await page.close();
});
