/**
 * `tessera keys create|list|revoke`: API keys live in the store of the data folder, so an operator can
 * manage them on the machine without a running server (and without an existing key to authenticate).
 */
import { loadSettings } from '../config.ts';
import { TesseraError } from '../errors.ts';
import { openStore } from '../store/open-store.ts';
import type { ApiKeyRecord, Store } from '../store/types.ts';

export interface KeysOptions {
  dataDir?: string;
  json?: boolean;
}

async function withStore<T>(options: KeysOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const settings = loadSettings({ dataDir: options.dataDir });
  // The key matters here too: opening the store may migrate (and so encrypt) webhook secrets.
  const store = await openStore(settings);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const out = (text: string) => process.stdout.write(text + '\n');

export async function keysCreateCommand(name: string, options: KeysOptions): Promise<number> {
  const { key, secret } = await withStore(options, (store) => store.createApiKey(name));
  if (options.json) {
    out(JSON.stringify({ id: key.id, name: key.name, prefix: key.prefix, secret }, null, 2));
    return 0;
  }
  out(`Created API key "${key.name}" (${key.id}, prefix ${key.prefix}):`);
  out('');
  out(`  ${secret}`);
  out('');
  // Only the hash is stored, so this is the one chance to copy it.
  out('Store it now: it cannot be shown again. Send it as "Authorization: Bearer <key>".');
  return 0;
}

export async function keysListCommand(options: KeysOptions): Promise<number> {
  const keys = await withStore(options, (store) => store.listApiKeys());
  if (options.json) {
    out(JSON.stringify(keys, null, 2));
    return 0;
  }
  if (keys.length === 0) {
    out('No API keys. Create one with "tessera keys create <name>".');
    return 0;
  }
  const header = ['ID', 'NAME', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'];
  const rows = keys.map((k: ApiKeyRecord) => [k.id, k.name, k.prefix, k.createdAt, k.lastUsedAt ?? '-', k.revokedAt ?? '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) out(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
  return 0;
}

export async function keysRevokeCommand(idOrPrefix: string, options: KeysOptions): Promise<number> {
  const key = await withStore(options, (store) => store.revokeApiKey(idOrPrefix));
  if (!key) throw new TesseraError('API_KEY_NOT_FOUND', `No API key has the id or prefix "${idOrPrefix}" (see "tessera keys list").`);
  if (options.json) out(JSON.stringify(key, null, 2));
  else out(`Revoked API key "${key.name}" (${key.id}, prefix ${key.prefix}) at ${key.revokedAt}.`);
  return 0;
}
