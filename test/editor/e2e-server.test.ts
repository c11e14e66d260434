/**
 * End to end in real Chromium against a real `tessera dev`: (e) with keys required the editor asks for a
 * key, refuses a wrong one and works with a right one (sent as a Bearer header, never in the URL);
 * (f) with the API stopped the banner appears, and the editor recovers when the API is back.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, screenshot, type Browser } from './support/browser.ts';
import { EditorPage } from './support/editor-page.ts';
import { startEditorServer, startServerAndBrowser, type EditorServer } from './support/editor-server.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function setup(options: { auth?: boolean } = {}): Promise<{ server: EditorServer; browser: Browser }> {
  const { server, browser } = await startServerAndBrowser(() => startEditorServer(options), () => launch());
  cleanups.push(() => server.cleanup(), () => browser.close());
  return { server, browser };
}

test('(e) keys required: the editor asks for a key, refuses a wrong one, works with the right one', async () => {
  const { server, browser } = await setup({ auth: true });
  const key = await server.createKey('editor-e2e');
  const page = await browser.newPage();
  const urls: string[] = [];
  const bearers = new Set<string>();
  page.on('request', (r) => {
    urls.push(r.url());
    if (r.url().includes('/api/v1/')) bearers.add(r.headers().authorization ?? '');
  });
  await page.goto(`${server.url}/`);
  const prompt = page.locator('[data-testid=key-prompt]');
  await prompt.waitFor();
  await screenshot(page, 'e1-key-prompt');

  await page.locator('[data-testid=key-input]').fill('tsk_wrong_key_0000000000');
  await page.locator('[data-testid=key-submit]').click();
  const error = page.locator('[data-testid=key-error]');
  await error.waitFor();
  assert.match(await error.innerText(), /UNAUTHORIZED: The API key is unknown or revoked/);
  await screenshot(page, 'e2-wrong-key');

  await page.locator('[data-testid=key-input]').fill(key);
  await page.locator('[data-testid=key-submit]').click();
  await prompt.waitFor({ state: 'detached' });

  // With the key the editor works: a new pipeline is checked and saved.
  await page.locator('[data-testid=new-pipeline]').click();
  const editor = new EditorPage(page, server.url);
  await page.waitForFunction(() => 'tesseraEditor' in window);
  await editor.settled();
  await editor.fixView();
  const id = await editor.dragNodeType('text-template', 80, 80);
  await editor.select(id);
  await editor.setParam('template', 'Hello');
  assert.deepEqual(await editor.errors(), []);
  assert.equal(await editor.save(), 1);
  await page.reload();
  await page.waitForFunction(() => 'tesseraEditor' in window);
  await editor.settled();
  assert.equal(await page.locator('[data-testid=key-prompt]').count(), 0, 'the key is kept for the tab');
  assert.equal((await editor.document()).nodes[0].params?.template, 'Hello');

  assert.ok(urls.every((u) => !u.includes(key)), 'the key never appears in a URL');
  assert.ok(bearers.has(`Bearer ${key}`), 'API calls carry the key as a Bearer header');
  await page.close();
});

test('(f) the API stopped: a banner appears, and the editor recovers when the API is back', async () => {
  const { server, browser } = await setup();
  const page = await browser.newPage();
  const editor = new EditorPage(page, server.url);
  await editor.open('/new');
  await editor.fixView();
  const id = await editor.dragNodeType('text-template', 80, 80);

  await server.stop();
  // An edit while the API is away: the check cannot reach it.
  await editor.select(id);
  await page.locator('[data-testid=inspector] [data-field="params.template"] textarea').fill('Hello');
  const banner = page.locator('[data-testid=unreachable-banner]');
  await banner.waitFor();
  assert.match(await banner.innerText(), /cannot be reached/);
  await screenshot(page, 'f1-api-stopped');
  assert.equal((await editor.document()).nodes[0].params?.template, 'Hello', 'the edit is kept on the page');

  await server.restart();
  await banner.waitFor({ state: 'detached' });
  // Back: the pending check runs again and the node's problem is gone.
  await page.waitForFunction(() => (window as unknown as { tesseraEditor: { errors(): unknown[] } }).tesseraEditor.errors().length === 0);
  await editor.settled();
  assert.equal(await editor.save(), 1);
  await screenshot(page, 'f2-recovered');
  await page.close();
});
