/** A size the CLI cannot read is refused up front: one coded line, a non-zero exit, nothing started or created. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { tessera } from '../support/cli.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-cli-max-upload-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('dev --max-upload lots exits 1 with one "error USAGE" line and starts nothing', async () => {
  const dataDir = path.join(dir, 'flag');
  const result = await tessera(['dev', '--no-ui', '--port', '0', '--data-dir', dataDir, '--max-upload', 'lots']);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /^error USAGE: --max-upload must be a size such as .*; got "lots"\.\n$/);
  assert.equal(existsSync(dataDir), false, 'no data folder, so no server, store or worker was started');
});

test('serve with TESSERA_MAX_UPLOAD_BYTES=lots is refused the same way', async () => {
  const dataDir = path.join(dir, 'env');
  const result = await tessera(['serve', '--port', '0', '--data-dir', dataDir], { env: { TESSERA_MAX_UPLOAD_BYTES: 'lots' } });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /^error USAGE: TESSERA_MAX_UPLOAD_BYTES must be a size such as .*; got "lots"\.\n$/);
  assert.equal(existsSync(dataDir), false);
});
