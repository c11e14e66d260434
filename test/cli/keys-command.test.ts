import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { keysCreateCommand, keysListCommand, keysRevokeCommand } from '../../engine/cli/keys-command.ts';
import { SqliteStore } from '../../engine/store/sqlite-store.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tessera-cli-keys-'));

/**
 * Runs a command, returning its exit code and what it wrote to stdout. The commands write text; binary
 * writes are the test runner's own reports (node --test speaks to its parent over this process's stdout,
 * and does so whenever the command awaits), passed on untouched.
 */
async function capture(fn: () => Promise<number>): Promise<{ code: number; stdout: string }> {
  const write = process.stdout.write;
  let stdout = '';
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    typeof chunk === 'string' ? ((stdout += chunk), true) : (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest)) as typeof process.stdout.write;
  try {
    return { code: await fn(), stdout };
  } finally {
    process.stdout.write = write;
  }
}

test('keys create, list and revoke work on the data folder store; the secret is shown once', async () => {
  const created = await capture(() => keysCreateCommand('ci', { dataDir, json: true }));
  assert.equal(created.code, 0);
  const { id, name, prefix, secret } = JSON.parse(created.stdout) as Record<string, string>;
  assert.equal(name, 'ci');
  assert.equal(prefix, secret.slice(0, 12));

  const text = await capture(() => keysCreateCommand('laptop', { dataDir }));
  assert.match(text.stdout, /tsk_[A-Za-z0-9_-]{32}/);
  assert.match(text.stdout, /cannot be shown again/);

  const store = new SqliteStore(path.join(dataDir, 'tessera.db'));
  assert.equal((await store.verifyApiKey(secret))?.id, id);
  await store.close();

  const list = await capture(() => keysListCommand({ dataDir }));
  assert.match(list.stdout, /^ID\s+NAME\s+PREFIX\s+CREATED\s+LAST USED\s+REVOKED/);
  assert.match(list.stdout, new RegExp(`${id}\\s+ci\\s+${prefix}`));
  assert.ok(!list.stdout.includes(secret), 'never the secret');
  const listed = JSON.parse((await capture(() => keysListCommand({ dataDir, json: true }))).stdout) as { id: string; lastUsedAt?: string }[];
  assert.ok(listed.find((k) => k.id === id)?.lastUsedAt);
  assert.ok(!JSON.stringify(listed).includes(secret));

  const revoked = await capture(() => keysRevokeCommand(prefix, { dataDir }));
  assert.equal(revoked.code, 0);
  assert.match(revoked.stdout, /Revoked API key "ci"/);
  const after = JSON.parse((await capture(() => keysListCommand({ dataDir, json: true }))).stdout) as { id: string; revokedAt?: string }[];
  assert.ok(after.find((k) => k.id === id)?.revokedAt);

  await assert.rejects(keysRevokeCommand('tsk_unknown', { dataDir }), { code: 'API_KEY_NOT_FOUND' });
});
