/** TESSERA_BLOB_URL parsing (engine/blob/open-blob-store.ts) and which endpoint the AWS SDK will use. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import { configuredS3Endpoint, openBlobStore, parseBlobUrl } from '../../engine/blob/open-blob-store.ts';
import { TesseraError } from '../../engine/errors.ts';

test('s3:// URLs give the bucket, a prefix ending with a slash, and the addressing override', () => {
  assert.deepEqual(parseBlobUrl('s3://media'), { bucket: 'media', prefix: '' });
  assert.deepEqual(parseBlobUrl('s3://media/'), { bucket: 'media', prefix: '' });
  assert.deepEqual(parseBlobUrl('s3://media/tessera'), { bucket: 'media', prefix: 'tessera/' });
  assert.deepEqual(parseBlobUrl('s3://my.media-2/team/a/blobs/'), { bucket: 'my.media-2', prefix: 'team/a/blobs/' });
  assert.deepEqual(parseBlobUrl('s3://media/p%20q'), { bucket: 'media', prefix: 'p q/' });
  assert.deepEqual(parseBlobUrl('s3://media/p?forcePathStyle=false'), { bucket: 'media', prefix: 'p/', forcePathStyle: false });
  assert.deepEqual(parseBlobUrl('s3://media?forcePathStyle=true'), { bucket: 'media', prefix: '', forcePathStyle: true });
});

test('anything else is BLOB_URL_INVALID with the reason', () => {
  const cases: [string, RegExp][] = [
    ['media', /is not a URL/],
    ['file:///var/blobs', /scheme "file"/],
    ['https://media.s3.amazonaws.com/x', /scheme "https"/],
    ['s3://', /names the bucket ""/],
    ['s3://ab', /names the bucket "ab"/],
    ['s3://Media', /names the bucket "media"|names the bucket "Media"/],
    ['s3://me_dia', /names the bucket "me_dia"/],
    ['s3://-media', /names the bucket/],
    ['s3://me..dia', /names the bucket/],
    ['s3://key:secret@media/x', /holds credentials/],
    ['s3://media:9000/x', /has a port/],
    ['s3://media/a//b', /empty, "\." or "\.\." segment/],
    ['s3://media/a/../b', /empty, "\." or "\.\." segment/],
    ['s3://media/./b', /empty, "\." or "\.\." segment/],
    ['s3://media/a%2F..%2Fb', /empty, "\." or "\.\." segment/],
    ['s3://media/x?region=eu-west-1', /unknown parameter "region"/],
    ['s3://media/x?forcePathStyle=yes', /true or false/],
    ['s3://media/x#frag', /#fragment/],
  ];
  for (const [url, why] of cases) {
    assert.throws(
      () => parseBlobUrl(url),
      (err: unknown) => err instanceof TesseraError && err.code === 'BLOB_URL_INVALID' && why.test(err.message),
      url,
    );
  }
});

test('the endpoint the SDK will use: AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, unless ignored', () => {
  assert.equal(configuredS3Endpoint({}), undefined);
  assert.equal(configuredS3Endpoint({ AWS_ENDPOINT_URL: 'http://all:1' }), 'http://all:1');
  assert.equal(configuredS3Endpoint({ AWS_ENDPOINT_URL: 'http://all:1', AWS_ENDPOINT_URL_S3: 'http://s3:2' }), 'http://s3:2');
  assert.equal(configuredS3Endpoint({ AWS_ENDPOINT_URL_S3: 'http://s3:2', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }), undefined);
});

test('unset, the blobs are files in the data folder', async () => {
  const store = await openBlobStore({ fsRoot: path.join('/tmp', 'x', 'blobs') });
  assert.ok(store instanceof FsBlobStore);
  assert.equal(store.root, path.join('/tmp', 'x', 'blobs'));
  await assert.rejects(openBlobStore({ blobUrl: 'gs://bucket', fsRoot: '/tmp' }), { code: 'BLOB_URL_INVALID' });
});
