/**
 * Which blob store a process uses: TESSERA_BLOB_URL unset means files in the data folder (fs-store.ts);
 * `s3://bucket/prefix` means S3 or an S3-compatible server (s3-store.ts, loaded only then).
 *
 * Everything else about S3 comes from the AWS SDK's own configuration, which it reads itself: credentials
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, instance roles), AWS_REGION,
 * and the endpoint of an S3-compatible server (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, unless
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true). With such an endpoint in the environment, requests use
 * path-style addressing (`http://host:port/bucket/key`, which such servers expect); `?forcePathStyle=`
 * in the URL overrides that either way.
 */
import { TesseraError } from '../errors.ts';
import { FsBlobStore } from './fs-store.ts';
import type { BlobStore } from './store.ts';

export interface S3BlobLocation {
  bucket: string;
  /** '' or a key prefix ending with '/'. */
  prefix: string;
  /** From `?forcePathStyle=true|false`; undefined: path-style when an endpoint is configured. */
  forcePathStyle?: boolean;
}

// S3's bucket naming rules (3-63 characters: lowercase letters, digits, dots, hyphens; letter or digit at both ends).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket[/prefix][?forcePathStyle=true|false]`; throws BLOB_URL_INVALID saying what is wrong. */
export function parseBlobUrl(value: string): S3BlobLocation {
  const invalid = (why: string) =>
    new TesseraError('BLOB_URL_INVALID', `TESSERA_BLOB_URL must look like s3://bucket/prefix (unset: blobs in the data folder); "${value}" ${why}`, { details: { value } });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('is not a URL.');
  }
  if (url.protocol !== 's3:') throw invalid(`has the scheme "${url.protocol.replace(/:$/, '')}"; only s3 is supported.`);
  if (url.username || url.password) throw invalid('holds credentials: give them in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead.');
  if (url.port) throw invalid('has a port: the endpoint of an S3-compatible server goes in AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL).');
  if (url.hash) throw invalid('has a #fragment.');
  // The URL parser would resolve "a/../b" to "b" silently: refuse dot segments as written.
  if (/^s3:\/\/[^/?#]*(\/[^?#]*)?/.exec(value)?.[1]?.split('/').some((s) => s === '.' || s === '..')) throw invalid('has an empty, "." or ".." segment in its prefix.');
  const bucket = url.hostname;
  if (!BUCKET.test(bucket) || bucket.includes('..')) throw invalid(`names the bucket "${bucket}": bucket names are 3-63 lowercase letters, digits, dots and hyphens.`);
  const segments = decodeURIComponent(url.pathname).split('/').slice(1);
  if (segments.at(-1) === '') segments.pop();
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw invalid('has an empty, "." or ".." segment in its prefix.');
  // eslint-disable-next-line no-control-regex
  if (segments.some((s) => /[\u0000-\u001f\u007f\\]/.test(s))) throw invalid('has control characters or backslashes in its prefix.');
  let forcePathStyle: boolean | undefined;
  for (const [key, v] of url.searchParams) {
    if (key !== 'forcePathStyle') throw invalid(`has the unknown parameter "${key}" (the only one is forcePathStyle=true|false).`);
    if (v !== 'true' && v !== 'false') throw invalid('has forcePathStyle set to something other than true or false.');
    forcePathStyle = v === 'true';
  }
  return { bucket, prefix: segments.length ? `${segments.join('/')}/` : '', ...(forcePathStyle !== undefined ? { forcePathStyle } : {}) };
}

/** The endpoint the AWS SDK will use for S3 from the environment (its configured-endpoint variables), if any. */
export function configuredS3Endpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return undefined;
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

export interface BlobStoreSettings {
  /** TESSERA_BLOB_URL (config.ts); unset: the file-system store. */
  blobUrl?: string;
  /** The blob folder in the data folder (config.ts dataPaths). */
  fsRoot: string;
}

/**
 * The blob store the settings name, without touching the network (see `checkBlobStore`). A malformed
 * TESSERA_BLOB_URL is BLOB_URL_INVALID. The AWS SDK is loaded only for an s3:// URL.
 */
export async function openBlobStore(settings: BlobStoreSettings, env: NodeJS.ProcessEnv = process.env): Promise<BlobStore> {
  if (!settings.blobUrl) return new FsBlobStore(settings.fsRoot);
  const location = parseBlobUrl(settings.blobUrl);
  // The SDK's releases from 2027 on need Node 22 and it warns so whenever a client is made; the pinned one
  // runs on Node 20, so the warning would only alarm (the SDK reads this from process.env itself).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [{ S3Client }, { S3BlobStore }] = await Promise.all([import('@aws-sdk/client-s3'), import('./s3-store.ts')]);
  const client = new S3Client({
    forcePathStyle: location.forcePathStyle ?? configuredS3Endpoint(env) !== undefined,
    // On AWS, a bucket in another region than AWS_REGION still works (one redirect, then cached).
    followRegionRedirects: true,
    requestHandler: { connectionTimeout: 10_000 },
  });
  return new S3BlobStore({ client, bucket: location.bucket, prefix: location.prefix });
}

/**
 * Start-up check of a store that lives elsewhere: an S3 bucket must exist and accept these credentials
 * for list, write and delete (BLOB_STORE_UNAVAILABLE otherwise). The file-system store needs none.
 */
export async function checkBlobStore(blobs: BlobStore): Promise<void> {
  const remote = blobs as BlobStore & { check?: () => Promise<void> };
  if (typeof remote.check === 'function') await remote.check();
}

/** Where blobs live, for start-up lines: the folder, or `s3://bucket/prefix/` and the endpoint. */
export function describeBlobStore(blobs: BlobStore, env: NodeJS.ProcessEnv = process.env): string {
  if (blobs instanceof FsBlobStore) return blobs.root;
  const location = (blobs as BlobStore & { location?: string }).location;
  if (!location) return 'a remote store';
  const endpoint = configuredS3Endpoint(env);
  return `${location} (${endpoint ? `endpoint ${endpoint}` : `AWS S3${env.AWS_REGION ? `, ${env.AWS_REGION}` : ''}`})`;
}
