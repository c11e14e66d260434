/**
 * Control flow in the editor (issue 11), end to end in real Chromium against a real `tessera dev` whose
 * providers are the fake provider server (nothing here calls a provider: the nodes are local ones).
 * (a) the palette's Flow category: branch, merge, approval, delay and pipeline render on the canvas, and a
 * pipeline node picks a saved pipeline from a list; (b) with the mouse: a json-pick node is set to run
 * once per item (a list is refused before, accepted after), wired to a join, saved and run; the branch's
 * untaken path shows skipped, the mapped node reads "3 / 3", the approval waits, is reviewed from the
 * run panel's banner, a refusal (409) is shown, and it is approved with an edited JSON value, which is
 * what the run outputs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { TesseraClient } from '../../engine/api/client/client.ts';
import { fakeKey } from '../support/fake-keys.ts';
import { startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';
import { launch, screenshot, type Browser } from './support/browser.ts';
import { EditorPage } from './support/editor-page.ts';
import { startEditorServer, startServerAndBrowser, type EditorServer } from './support/editor-server.ts';

let fake: FakeProviders;
let server: EditorServer;
let browser: Browser;
let api: TesseraClient;
let flowId: string;
let childId: string;

const PROFILE = { score: 7, drug: 'metformin', dose: '500 mg' };
const EDITED = { score: 7, drug: 'metformin', dose: '850 mg', checked: true };

/** The part saved through the API: a branch whose `else` path will be skipped, and an approval on `then`. */
const flow: Pipeline = {
  format: 'tessera.pipeline/v1',
  name: 'flow-e2e',
  nodes: [
    { id: 'items', type: 'input', params: { name: 'items', kind: 'json[]', default: [{ name: 'ada' }, { name: 'bob' }, { name: 'cy' }] }, position: { x: 20, y: 40 } },
    { id: 'profile', type: 'input', params: { name: 'profile', kind: 'json', default: PROFILE }, position: { x: 20, y: 300 } },
    { id: 'check', type: 'branch', params: { kind: 'json', path: 'score', op: 'greater', value: 5 }, position: { x: 280, y: 300 } },
    { id: 'review', type: 'approval', params: { kind: 'json', instructions: 'Check the dose before it goes on.' }, position: { x: 540, y: 270 } },
    { id: 'out-approved', type: 'output', params: { name: 'approved' }, position: { x: 800, y: 270 } },
    { id: 'low', type: 'json-pick', params: { path: 'drug' }, position: { x: 540, y: 450 } },
    { id: 'out-low', type: 'output', params: { name: 'low' }, position: { x: 800, y: 450 } },
  ],
  edges: [
    { from: 'profile.value', to: 'check.value' },
    { from: 'check.then', to: 'review.value' },
    { from: 'review.value', to: 'out-approved.value' },
    { from: 'check.else', to: 'low.json' },
    { from: 'low.text', to: 'out-low.value' },
  ],
};

const child: Pipeline = {
  format: 'tessera.pipeline/v1',
  name: 'greeting-child',
  nodes: [
    { id: 'who', type: 'input', params: { name: 'who', kind: 'text' } },
    { id: 'hello', type: 'text-template', params: { template: 'Hello {{who}}' } },
    { id: 'out', type: 'output', params: { name: 'greeting' } },
  ],
  edges: [{ from: 'who.value', to: 'hello.who' }, { from: 'hello.text', to: 'out.value' }],
};

before(async () => {
  fake = await startFakeProviders();
  ({ server, browser } = await startServerAndBrowser(
    () => startEditorServer({ env: { OPENAI_API_KEY: fakeKey('sk-editor-flow'), OPENAI_BASE_URL: fake.openaiBaseURL } }),
    () => launch(),
  ));
  api = new TesseraClient({ server: server.url });
  childId = (await api.createPipeline(child)).pipeline.id;
  flowId = (await api.createPipeline(flow)).pipeline.id;
});
after(async () => {
  await browser?.close();
  await server?.cleanup();
  await fake?.close();
});

type Hooks = { run(): { status: string; nodes: Record<string, { status: string; items?: { total: number; done: number; failed: number } }> } | undefined };

async function shot(page: Page, name: string): Promise<void> {
  await screenshot(page, `flow-${name}`);
}

/** Waits for a locator, with a screenshot to look at when it never comes. */
async function waitFor(page: Page, selector: string, name: string, timeout = 60_000): Promise<void> {
  try {
    await page.locator(selector).first().waitFor({ timeout });
  } catch (err) {
    await shot(page, `timeout-${name}`);
    throw err;
  }
}

test('(a) the Flow category: its five node types render, and a pipeline node picks a saved pipeline', async () => {
  const page = await browser.newPage();
  const editor = new EditorPage(page, server.url);
  await editor.open('/new');
  await editor.fixView();
  const flowGroup = page.locator('[data-testid=palette] .palette-group').filter({ has: page.locator('h3', { hasText: /^Flow$/ }) });
  for (const type of ['branch', 'merge', 'approval', 'delay', 'pipeline']) await flowGroup.locator(`[data-node-type="${type}"]`).waitFor();

  const placed: Record<string, string> = {};
  const spots: [string, number, number][] = [['branch', 30, 40], ['merge', 300, 40], ['approval', 570, 40], ['delay', 30, 330], ['pipeline', 300, 330]];
  for (const [type, x, y] of spots) placed[type] = await editor.dragNodeType(type, x, y);
  // Each is drawn with its sockets (kinds from the API's ports answer).
  const sockets: Record<string, string[]> = { branch: ['value', 'then', 'else'], merge: ['a', 'b', 'c', 'd', 'value'], approval: ['value'], delay: ['value'] };
  for (const [type, ports] of Object.entries(sockets)) {
    for (const port of ports) assert.equal(await page.locator(`[data-socket="${placed[type]}.${port}"]`).first().getAttribute('data-kind'), 'json', `${type}.${port}`);
  }
  assert.equal(await page.locator(`[data-node-id="${placed.pipeline}"] [data-testid=title]`).count(), 1);

  // Flow nodes are not task nodes (branch is): only branch offers "Run once per item".
  await editor.select(placed.approval);
  assert.equal(await page.locator('[data-testid=map-form]').count(), 0);
  await editor.select(placed.branch);
  await page.locator('[data-testid=map-form]').waitFor();

  // A pipeline node picks the saved pipeline it runs from a list (the one being edited is not offered).
  await editor.select(placed.pipeline);
  const pick = page.locator('[data-testid=pipeline-pick]');
  await pick.locator(`option[value="${childId}"]`).waitFor({ state: 'attached' });
  assert.equal(await pick.locator(`option[value="${flowId}"]`).count(), 1, 'another saved pipeline is offered');
  await pick.selectOption(childId);
  await editor.settled();
  const node = (await editor.document()).nodes.find((n) => n.id === placed.pipeline)!;
  assert.deepEqual(node.params, { pipeline: childId });
  await page.locator('[data-testid=pipeline-version]').waitFor();
  // The child's input and output nodes become the node's ports once the API knows them.
  const childPorts = await page.locator(`[data-node-id="${placed.pipeline}"] [data-socket]`).evaluateAll((els) => els.map((e) => e.getAttribute('data-socket')));
  console.log(`# pipeline node sockets after picking the child: ${JSON.stringify(childPorts)}`);
  await shot(page, 'a-palette-flow-nodes');
  await page.close();
});

test('(b) map a node with the mouse, run: skipped branch, "3 / 3", approve an edited value from the form', async () => {
  const page = await browser.newPage();
  const editor = new EditorPage(page, server.url);
  await editor.open(`/pipelines/${encodeURIComponent(flowId)}`);
  await editor.fixView();

  // json-pick, join and an output from the palette, set up in the inspector and wired with the mouse.
  const pick = await editor.dragNodeType('json-pick', 280, 40);
  await editor.rename(pick, 'pick');
  await editor.setParam('path', 'name');
  const joined = await editor.dragNodeType('join', 540, 40);
  await editor.rename(joined, 'joined');
  await editor.setParam('separator', ', ');
  const out = await editor.dragNodeType('output', 800, 40);
  await editor.rename(out, 'out-names');
  await editor.setParam('name', 'names');

  // A list does not fit the single `json` input...
  await editor.connect('items.value', 'pick.json');
  await page.locator('[data-testid=refused]').waitFor();
  assert.equal((await editor.document()).edges.some((e) => e.to === 'pick.json'), false);
  await page.locator('[data-testid=refused]').waitFor({ state: 'detached', timeout: 10_000 });

  // ...until the node runs once per item of it: explicit in the file, the socket becomes a list.
  await editor.select('pick');
  await page.locator('[data-testid=map-on]').click();
  await page.locator('[data-socket="pick.json"][data-kind="json[]"]').waitFor();
  assert.deepEqual(await page.locator('[data-testid=map-port] option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value)), ['json']);
  await page.locator('[data-testid=map-concurrency]').fill('2');
  await editor.settled();
  assert.deepEqual((await editor.document()).nodes.find((n) => n.id === 'pick')!.map, { port: 'json', concurrency: 2 });
  assert.equal(await page.locator('[data-node-id="pick"] [data-testid=node-mapped]').innerText(), '× each');
  assert.equal(await page.locator('[data-socket="pick.text"]').getAttribute('data-kind'), 'text[]', 'its outputs are lists');
  await editor.connect('items.value', 'pick.json');
  await editor.connect('pick.text', 'joined.items');
  await editor.connect('joined.text', 'out-names.value');
  const doc = await editor.document();
  for (const edge of ['items.value->pick.json', 'pick.text->joined.items', 'joined.text->out-names.value']) assert.ok(doc.edges.some((e) => `${e.from}->${e.to}` === edge), edge);
  assert.deepEqual(await editor.errors(), []);
  await shot(page, 'b1-mapped-and-wired');
  assert.equal(await editor.save(), 2);

  // Run with the inputs' defaults.
  await page.locator('[data-testid=tab-run]').click();
  await page.locator('[data-testid=run]').click();
  await page.waitForURL(/\/runs\/[^/]+$/, { timeout: 30_000 });
  const runId = decodeURIComponent(page.url().split('/runs/')[1]);

  // The approval waits; the run panel says so and the run shows waiting.
  await waitFor(page, '[data-testid=approvals-waiting]', 'approvals-banner');
  assert.match(await page.locator('[data-testid=approvals-waiting]').innerText(), /1 approval waiting/);
  await waitFor(page, '[data-testid=run-status][data-status=waiting]', 'run-waiting', 10_000);
  await waitFor(page, '[data-node-id="review"][data-run-status=waiting]', 'review-waiting', 10_000);
  assert.match(await page.locator('[data-node-id="review"] [data-testid=node-run-state]').innerText(), /waiting for approval/);
  // The branch's path not taken is skipped, drawn greyed with its badge.
  for (const id of ['low', 'out-low']) await waitFor(page, `[data-node-id="${id}"][data-run-status=skipped]`, `skipped-${id}`, 10_000);
  assert.equal(await page.locator('[data-node-id="low"] .t-run-status').innerText(), 'skipped');
  assert.ok(Number(await page.locator('[data-node-id="low"]').evaluate((e) => getComputedStyle(e).opacity)) < 0.6, 'drawn greyed');
  // The mapped node ran its three items.
  await waitFor(page, '[data-node-id="pick"][data-run-status=succeeded]', 'pick-succeeded', 10_000);
  await page.locator('[data-node-id="pick"] [data-testid=node-items]', { hasText: '3 / 3' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('[data-node-id="pick"] [data-testid=node-items-failed]').count(), 0);
  await shot(page, 'b2-waiting');

  // Review from the banner: the node is selected and its form shows the instructions and the value received.
  await page.locator('[data-testid=review-review]').click();
  await page.locator('[data-testid=approval-form]').waitFor();
  assert.deepEqual(await page.evaluate(() => (window as unknown as { tesseraEditor: { selection(): string[] } }).tesseraEditor.selection()), ['review']);
  assert.equal(await page.locator('[data-testid=approval-instructions]').innerText(), 'Check the dose before it goes on.');
  const box = page.locator('[data-testid=approval-value]');
  await page.waitForFunction(() => (document.querySelector('[data-testid=approval-value]') as HTMLTextAreaElement | null)?.value.includes('metformin'));
  assert.deepEqual(JSON.parse(await box.inputValue()), PROFILE);
  assert.equal(await page.locator('[data-testid=approve-edited]').isDisabled(), true, 'nothing edited yet');
  await shot(page, 'b3-approval-form');

  // A refusal from the API is shown with its code (answered here as if someone had decided first).
  const approveRoute = `**/api/v1/runs/*/nodes/review/approve`;
  await page.route(approveRoute, (route) => route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ error: { code: 'NODE_NOT_WAITING', message: 'Node "review" is not waiting for a decision.' } }) }));
  await page.locator('[data-testid=approve]').click();
  const refusal = page.locator('[data-testid=approval-error]');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /NODE_NOT_WAITING.*not waiting any more/s);
  await page.unroute(approveRoute);
  await shot(page, 'b4-refused');

  // Invalid JSON is caught in the form; then the edited value is approved.
  await box.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('{ "dose": ');
  await page.locator('[data-testid=approval-value-error]').waitFor();
  assert.equal(await page.locator('[data-testid=approve-edited]').isDisabled(), true);
  await box.fill(JSON.stringify(EDITED, null, 2));
  await page.locator('[data-testid=approval-edited]').waitFor();
  await page.locator('[data-testid=approve-edited]').click();
  await waitFor(page, '[data-testid=approval-sent], [data-testid=node-run][data-status=succeeded]', 'approval-sent');
  assert.equal(await refusal.count(), 0, 'no error this time');

  // The run goes on and finishes; what it outputs is the edited value.
  await page.locator('[data-testid=tab-run]').click();
  await waitFor(page, '[data-testid=run-status][data-status=succeeded]', 'run-succeeded');
  await page.locator('[data-testid=run-output-approved]').filter({ hasText: '850 mg' }).waitFor();
  await page.locator('[data-testid=run-output-names]').filter({ hasText: 'ada, bob, cy' }).waitFor();
  assert.equal(await page.locator('[data-testid=run-output-low]').count(), 0, 'the skipped path output nothing');
  assert.equal(await page.locator('[data-testid=approvals-waiting]').count(), 0);
  await waitFor(page, '[data-node-id="review"][data-run-status=succeeded]', 'review-succeeded', 10_000);
  await shot(page, 'b5-finished');

  // The review node (still selected) says how it was decided; the model agrees with the canvas.
  await page.locator('[data-testid=tab-node]').click();
  await editor.select('review');
  await page.locator('[data-testid=approval-decision]', { hasText: 'Approved with an edited value' }).waitFor({ timeout: 10_000 });
  const view = await page.evaluate(() => (window as unknown as { tesseraEditor: Hooks }).tesseraEditor.run());
  assert.deepEqual(view?.nodes.pick.items, { total: 3, done: 3, failed: 0 });
  assert.equal(view?.nodes.low.status, 'skipped');
  await shot(page, 'b6-decision');

  const run = await api.getRun(runId);
  assert.equal(run.status, 'succeeded');
  assert.deepEqual(run.outputs?.approved, EDITED);
  assert.equal(run.outputs?.names, 'ada, bob, cy');
  assert.equal(run.outputs && 'low' in run.outputs, false);
  assert.equal(run.nodes.low.status, 'skipped');
  await page.close();
});

test('(c) a pipeline node in a run links its child run, and the child run links back to its parent', async () => {
  const parent: Pipeline = {
    format: 'tessera.pipeline/v1',
    name: 'flow-parent',
    nodes: [
      { id: 'name', type: 'input', params: { name: 'name', kind: 'text', default: 'Ada' }, position: { x: 20, y: 60 } },
      { id: 'sub', type: 'pipeline', params: { pipeline: childId }, position: { x: 300, y: 60 } },
      { id: 'out', type: 'output', params: { name: 'greeting' }, position: { x: 580, y: 60 } },
    ],
    edges: [{ from: 'name.value', to: 'sub.who' }, { from: 'sub.greeting', to: 'out.value' }],
  };
  const parentId = (await api.createPipeline(parent)).pipeline.id;
  const page = await browser.newPage();
  const editor = new EditorPage(page, server.url);
  await editor.open(`/pipelines/${encodeURIComponent(parentId)}`);
  await editor.fixView();
  await page.locator('[data-testid=tab-run]').click();
  await page.locator('[data-testid=run]').click();
  await page.waitForURL(/\/runs\/[^/]+$/, { timeout: 30_000 });
  const runId = decodeURIComponent(page.url().split('/runs/')[1]);
  await waitFor(page, '[data-testid=run-status][data-status=succeeded]', 'parent-succeeded');
  await page.locator('[data-testid=run-output-greeting]').filter({ hasText: 'Hello Ada' }).waitFor();
  const link = page.locator('[data-node-id="sub"] [data-testid=open-child-run]');
  await link.waitFor();
  assert.equal(await link.getAttribute('href'), `/pipelines/${encodeURIComponent(childId)}/runs/${encodeURIComponent(`${runId}.sub`)}`);
  await shot(page, 'c1-parent-run');

  // The child run on its own pipeline's canvas, as History opens runs.
  await link.click();
  await page.waitForURL((url) => url.pathname === `/pipelines/${encodeURIComponent(childId)}/runs/${encodeURIComponent(`${runId}.sub`)}`);
  await page.waitForFunction(() => 'tesseraEditor' in window);
  await waitFor(page, '[data-testid=run-status][data-status=succeeded]', 'child-succeeded');
  await waitFor(page, '[data-node-id="hello"][data-run-status=succeeded]', 'child-node', 10_000);
  await page.locator('[data-testid=parent-run]').filter({ hasText: runId }).waitFor();
  await shot(page, 'c2-child-run');
  await page.locator('[data-testid=open-parent-run]').click();
  await page.waitForURL((url) => url.pathname === `/pipelines/${encodeURIComponent(parentId)}/runs/${encodeURIComponent(runId)}`);
  await page.locator('[data-node-id="sub"][data-run-status=succeeded]').waitFor();
  await page.close();
});
