/**
 * TESSERA_BLOB_URL as a user sets it, through the real `tessera` command: a malformed URL and an unusable
 * bucket stop `tessera worker` at start-up with their codes; with a bucket on moto's S3 server (started for
 * this file), `tessera dev` says where its blobs are, and `tessera run --shared-queue` from another data
 * folder stores its file input in the bucket, its node runs in whichever worker takes it (the dev server's
 * or the run's own, sharing nothing but the bucket) and the output is written from the bucket to a file.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startDev, tessera, type DevProcess } from '../support/cli.ts';
import { startMoto, type Moto } from '../support/moto.ts';

const BUCKET = 'tessera-cli';
const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-blob-url-'));
let moto: Moto;

before(async () => {
  moto = await startMoto();
  await moto.createBucket(BUCKET);
});
after(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a malformed TESSERA_BLOB_URL stops the worker at start-up with BLOB_URL_INVALID', async () => {
  for (const [url, why] of [
    ['s3://Bad_Bucket/x', /bucket names are 3-63 lowercase letters/],
    ['https://bucket.example/x', /only s3 is supported/],
    ['s3://key:secret@bucket/x', /AWS_ACCESS_KEY_ID/],
    ['s3://bucket/a//b', /empty, "\." or "\.\." segment/],
  ] as const) {
    const result = await tessera(['worker'], { env: { TESSERA_DATA_DIR: path.join(dir, 'bad'), TESSERA_BLOB_URL: url } });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^error BLOB_URL_INVALID: TESSERA_BLOB_URL must look like s3:\/\/bucket\/prefix/m, url);
    assert.match(result.stderr, why, url);
  }
});

test('a bucket that does not exist stops the worker at start-up with BLOB_STORE_UNAVAILABLE', async () => {
  const result = await tessera(['worker'], { env: { TESSERA_DATA_DIR: path.join(dir, 'missing'), TESSERA_BLOB_URL: 's3://no-such-bucket/blobs', ...moto.env } });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /^error BLOB_STORE_UNAVAILABLE: The blob store s3:\/\/no-such-bucket\/blobs\/ cannot be used \(list failed\): the bucket "no-such-bucket" does not exist/m);
});

test('tessera dev and tessera run share blobs through the bucket only', async () => {
  const s3 = { TESSERA_BLOB_URL: `s3://${BUCKET}/cli`, ...moto.env };
  let dev: DevProcess | undefined;
  try {
    dev = await startDev(path.join(dir, 'dev-data'), s3, ['--no-api', '--plugin', './test/support/test-nodes.ts']);
    assert.match(dev.stderr(), new RegExp(`^blobs: s3://${BUCKET}/cli/ \\(endpoint ${moto.endpoint}\\)$`, 'm'));

    const file = path.join(dir, 'digest.json');
    writeFileSync(
      file,
      JSON.stringify({
        format: 'tessera.pipeline/v1',
        name: 'cli-s3-digest',
        nodes: [
          { id: 'doc', type: 'input', params: { name: 'file', kind: 'document' } },
          { id: 'hash', type: 'test-digest', params: {} },
          { id: 'sha', type: 'output', params: { name: 'sha256' } },
          { id: 'copy', type: 'output', params: { name: 'copy' } },
        ],
        edges: [
          { from: 'doc.value', to: 'hash.file' },
          { from: 'hash.sha256', to: 'sha.value' },
          { from: 'hash.file', to: 'copy.value' },
        ],
      }),
    );
    const input = path.join(dir, 'notes.txt');
    const text = `Night shift notes.\n${'Observations stable. '.repeat(50_000)}`;
    writeFileSync(input, text);
    const sha256 = createHash('sha256').update(text).digest('hex');
    const outDir = path.join(dir, 'out');
    // Another data folder than the dev server's: a worker of either process finds the input only in the bucket.
    const result = await tessera(['run', file, '--shared-queue', '--plugin', './test/support/test-nodes.ts', '-i', `file=@${input}`, '--out-dir', outDir, '--json'], {
      env: { ...dev.env, ...s3, TESSERA_DATA_DIR: path.join(dir, 'run-data') },
    });
    assert.equal(result.code, 0, result.stderr);
    const { outputs } = JSON.parse(result.stdout);
    assert.equal(outputs.sha256, sha256);
    assert.equal(readFileSync(outputs.copy.path, 'utf8'), text);
    assert.deepEqual(await moto.keys(BUCKET, 'cli/'), [`cli/${sha256.slice(0, 2)}/${sha256}`]);
  } finally {
    await dev?.stop();
  }
});
