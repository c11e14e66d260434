/**
 * The key of the store's SecretBox: `TESSERA_SECRET_KEY` (32 bytes as 64 hex characters or base64) when
 * set, so that the key can live apart from the database (a secret manager, a systemd credential); else
 * `<data-dir>/secret.key`, generated once at random with mode 0600. Losing the key loses the webhook
 * secrets (create the webhooks again); anyone holding both the key and `tessera.db` can read them.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TesseraError } from '../errors.ts';

export const KEY_FILE = 'secret.key';

export function parseSecretKey(value: string, source: string): Buffer {
  const text = value.trim();
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (key?.length !== 32) {
    throw new TesseraError('SECRET_KEY_INVALID', `${source} must be 32 random bytes written as 64 hex characters or base64 (make one with: openssl rand -hex 32).`);
  }
  return key;
}

/** The configured key, else the data folder's key file (created on first use). */
export function loadSecretKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return parseSecretKey(configured, 'TESSERA_SECRET_KEY');
  const file = path.join(dataDir, KEY_FILE);
  mkdirSync(dataDir, { recursive: true });
  try {
    return readKeyFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // Written aside and linked into place: two processes starting at once agree on one key, and neither can
  // read a half-written file.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return readKeyFile(file);
}

function readKeyFile(file: string): Buffer {
  const key = parseSecretKey(readFileSync(file, 'utf8'), file);
  // Tighten a key file someone made readable by others; it guards every webhook secret.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return key;
}
