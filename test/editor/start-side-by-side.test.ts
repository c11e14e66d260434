/**
 * startServerAndBrowser: when one of the two fails to start, the other is stopped before the error goes
 * on (a Chromium left open kept a test file's process alive until its 300 s timeout when `tessera dev`
 * lost its port to another test process).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser } from './support/browser.ts';
import { startServerAndBrowser, type EditorServer } from './support/editor-server.ts';

const stopped: string[] = [];
const server = { url: 'http://127.0.0.1:1', cleanup: async () => void stopped.push('server') } as unknown as EditorServer;
const browser = { close: async () => void stopped.push('browser') } as unknown as Browser;
const refused = (what: string) => async (): Promise<never> => {
  throw new Error(`${what} could not start`);
};

test('a server that fails to start closes the browser that did', async () => {
  stopped.length = 0;
  await assert.rejects(startServerAndBrowser(refused('server'), async () => browser), /server could not start/);
  assert.deepEqual(stopped, ['browser']);
});

test('a browser that fails to start stops the server that did', async () => {
  stopped.length = 0;
  await assert.rejects(startServerAndBrowser(async () => server, refused('browser')), /browser could not start/);
  assert.deepEqual(stopped, ['server']);
});

test('both started: both are returned, nothing stopped', async () => {
  stopped.length = 0;
  const started = await startServerAndBrowser(async () => server, async () => browser);
  assert.equal(started.server, server);
  assert.equal(started.browser, browser);
  assert.deepEqual(stopped, []);
});
