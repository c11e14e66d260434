/**
 * Settings from the environment (and CLI flags, which win). One place reads process.env so that every
 * variable Tessera honours is listed here and in the README.
 */
import { DEFAULT_CACHE_MAX_BYTES } from './cache/store-node-cache.ts';
import path from 'node:path';
import { parseByteSize } from './byte-size.ts';
import { TesseraError } from './errors.ts';
import { parseRateLimits, type RateLimit } from './limits/rate-limits.ts';

export interface TemporalSettings {
  /** Set: connect to this cluster. Unset: run the embedded dev server. */
  address?: string;
  namespace: string;
  tls: boolean;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  apiKey?: string;
  /** Embedded server ports (0 picks free ones). */
  port: number;
  uiPort: number;
  cliPath?: string;
}

export interface Settings {
  dataDir: string;
  taskQueue: string;
  /** Folders that runs not started by the local CLI may read files under (absolute); empty: none. */
  fileRoots: string[];
  /** TESSERA_SECRET_KEY: encrypts webhook secrets in the store; unset: `<data-dir>/secret.key`. */
  secretKey?: string;
  /**
   * TESSERA_BLOB_URL: `s3://bucket/prefix` puts blobs in S3 or an S3-compatible server; unset: the data
   * folder's `blobs/`. The AWS SDK reads its own variables (credentials, AWS_REGION, AWS_ENDPOINT_URL_S3):
   * see blob/open-blob-store.ts.
   */
  blobUrl?: string;
  /**
   * TESSERA_DATABASE_URL: `postgres://...` puts the store (and the vector collections, with pgvector) in
   * PostgreSQL; unset: SQLite files in the data folder. See store/open-store.ts.
   */
  databaseUrl?: string;
  temporal: TemporalSettings;
}

export function loadSettings(overrides: { dataDir?: string; taskQueue?: string; fileRoots?: string[] } = {}, env = process.env): Settings {
  const address = env.TEMPORAL_ADDRESS || undefined;
  // TESSERA_FILE_ROOTS is a list like PATH (":" on Unix, ";" on Windows); --file-root flags replace it.
  const fileRoots = overrides.fileRoots?.length ? overrides.fileRoots : (env.TESSERA_FILE_ROOTS ?? '').split(path.delimiter);
  return {
    dataDir: path.resolve(overrides.dataDir ?? env.TESSERA_DATA_DIR ?? '.tessera'),
    taskQueue: overrides.taskQueue ?? env.TESSERA_TASK_QUEUE ?? 'tessera',
    fileRoots: fileRoots.filter((r) => r.trim() !== '').map((r) => path.resolve(r)),
    secretKey: env.TESSERA_SECRET_KEY || undefined,
    blobUrl: env.TESSERA_BLOB_URL || undefined,
    databaseUrl: env.TESSERA_DATABASE_URL || undefined,
    temporal: {
      address,
      namespace: env.TEMPORAL_NAMESPACE || 'default',
      tls: env.TEMPORAL_TLS === 'true' || Boolean(env.TEMPORAL_TLS_CERT) || Boolean(env.TEMPORAL_API_KEY),
      tlsCertPath: env.TEMPORAL_TLS_CERT || undefined,
      tlsKeyPath: env.TEMPORAL_TLS_KEY || undefined,
      apiKey: env.TEMPORAL_API_KEY || undefined,
      port: Number(env.TESSERA_TEMPORAL_PORT ?? 7233),
      uiPort: Number(env.TESSERA_TEMPORAL_UI_PORT ?? 8233),
      cliPath: env.TEMPORAL_CLI_PATH || undefined,
    },
  };
}

const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

/** The output cache's bound (TESSERA_CACHE_MAX_BYTES, units allowed), else 256 MB of entries. */
export function cacheMaxBytes(env = process.env): number {
  return env.TESSERA_CACHE_MAX_BYTES ? parseByteSize(env.TESSERA_CACHE_MAX_BYTES, 'TESSERA_CACHE_MAX_BYTES') : DEFAULT_CACHE_MAX_BYTES;
}

/** The API's upload limit: the --max-upload flag, else TESSERA_MAX_UPLOAD_BYTES, else 1 GiB; units allowed (byte-size.ts). */
export function maxUploadBytes(flag: string | undefined, env = process.env): number {
  if (flag !== undefined) return parseByteSize(flag, '--max-upload');
  if (env.TESSERA_MAX_UPLOAD_BYTES) return parseByteSize(env.TESSERA_MAX_UPLOAD_BYTES, 'TESSERA_MAX_UPLOAD_BYTES');
  return DEFAULT_MAX_UPLOAD_BYTES;
}

/**
 * TESSERA_RATE_LIMITS: requests per interval per provider name (`openai=60/m,anthropic=50/m`), shared by
 * every worker of the store (engine/limits/). Unset or empty: no limits. A malformed entry is USAGE.
 */
export function rateLimits(env = process.env): RateLimit[] {
  return parseRateLimits(env.TESSERA_RATE_LIMITS);
}

/** Activities (and local activities) one worker runs at once unless told otherwise. */
export const DEFAULT_WORKER_CONCURRENCY = 100;

/** A worker's concurrency: the --concurrency flag, else TESSERA_WORKER_CONCURRENCY, else 100; a whole number from 1. */
export function workerConcurrency(flag: string | undefined, env = process.env): number {
  const [value, source] = flag !== undefined ? [flag, '--concurrency'] : [env.TESSERA_WORKER_CONCURRENCY, 'TESSERA_WORKER_CONCURRENCY'];
  if (value === undefined || value.trim() === '') return DEFAULT_WORKER_CONCURRENCY;
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n) || n < 1 || !/^\d+$/.test(value.trim())) {
    throw new TesseraError('USAGE', `${source} must be a whole number of activities from 1 (e.g. 4); got "${value}".`, { details: { option: source, value } });
  }
  return n;
}

export function dataPaths(dataDir: string) {
  return {
    temporalDb: path.join(dataDir, 'temporal.db'),
    blobs: path.join(dataDir, 'blobs'),
    cache: path.join(dataDir, 'cache'),
    vectors: path.join(dataDir, 'vectors.db'),
    store: path.join(dataDir, 'tessera.db'),
  };
}
