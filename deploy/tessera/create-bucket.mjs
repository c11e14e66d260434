#!/usr/bin/env node
// The bucket job of docker-compose.yml (service `create-bucket`): makes sure the bucket of TESSERA_BLOB_URL
// (s3://bucket/prefix) exists, creating it when it does not, then exits 0. It runs in the Tessera image with
// the environment the API and the workers get, so it reaches the object store exactly as they will: the AWS
// SDK reads the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), AWS_REGION and the endpoint of an
// S3-compatible server (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL) itself, and path-style addressing is used
// with such an endpoint, as engine/blob/open-blob-store.ts does. Idempotent: an existing bucket is left as it
// is. The server may still be starting: connection errors are retried for up to a minute.
//
// No lifecycle rule is set here: S3-compatible servers implement expiry rules differently (or not at all),
// so cleaning up `<prefix>tmp/` is left to the operator (docs/deployment.md, "Leftover uploads").
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';

const ATTEMPTS = 30;
const PAUSE_MS = 2_000;

/** The bucket named by an s3:// URL; throws with a message saying what is wrong. */
export function bucketOf(blobUrl) {
  if (!blobUrl) throw new Error('TESSERA_BLOB_URL is not set (s3://bucket/prefix)');
  let url;
  try {
    url = new URL(blobUrl);
  } catch {
    throw new Error(`TESSERA_BLOB_URL="${blobUrl}" is not a URL (s3://bucket/prefix)`);
  }
  if (url.protocol !== 's3:' || !url.hostname) throw new Error(`TESSERA_BLOB_URL="${blobUrl}" is not an s3://bucket/prefix URL`);
  return url.hostname;
}

const status = (err) => err?.$metadata?.httpStatusCode;
// Answers from a server that is up but says no: do not retry those.
const refused = (err) => [400, 401, 403].includes(status(err)) || ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied'].includes(err?.name);

/** Ensures the bucket exists ('exists' or 'created'); the AWS SDK reads its configuration from process.env. */
export async function ensureBucket({ log = (line) => process.stdout.write(`${line}\n`), attempts = ATTEMPTS, pauseMs = PAUSE_MS } = {}) {
  const env = process.env;
  const bucket = bucketOf(env.TESSERA_BLOB_URL);
  const endpoint = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true' ? undefined : env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({ forcePathStyle: endpoint !== undefined, requestHandler: { connectionTimeout: 5_000 } });
  const where = `s3://${bucket} (${endpoint ? `endpoint ${endpoint}` : 'AWS S3'})`;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
        log(`bucket ${where} exists`);
        return 'exists';
      } catch (err) {
        if (status(err) === 404 || err?.name === 'NotFound' || err?.name === 'NoSuchBucket') {
          try {
            await client.send(new CreateBucketCommand({ Bucket: bucket }));
            log(`bucket ${where} created`);
            return 'created';
          } catch (createErr) {
            // Another job (or a second `up`) created it meanwhile.
            if (createErr?.name === 'BucketAlreadyOwnedByYou') {
              log(`bucket ${where} exists`);
              return 'exists';
            }
            throw createErr;
          }
        }
        if (refused(err) || attempt >= attempts) throw new Error(`bucket ${where}: ${err?.name ?? 'error'} ${status(err) ?? ''} ${err?.message ?? err}`.replace(/\s+/g, ' ').trim(), { cause: err });
        log(`bucket ${where}: not reachable yet (${err?.code ?? err?.name ?? err}), attempt ${attempt}/${attempts}`);
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }
  } finally {
    client.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    await ensureBucket();
  } catch (err) {
    process.stderr.write(`create-bucket: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  }
}
