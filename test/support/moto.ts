/**
 * A real S3-compatible endpoint for tests: moto's server (PyPI `moto[server]`, installed into .tools/moto by
 * scripts/test-tools.mjs, `npm test`'s pretest) on 127.0.0.1 and a free port, one per test file. It keeps
 * objects in its memory and accepts any credentials. `env` holds the AWS variables that point the SDK
 * (and so TESSERA_BLOB_URL) at it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MOTO_SERVER = process.env.MOTO_SERVER ?? path.join(ROOT, '.tools', 'moto', 'bin', 'moto_server');

export interface Moto {
  endpoint: string;
  /** AWS_ENDPOINT_URL_S3, AWS_REGION and test credentials for this server. */
  env: Record<string, string>;
  /** A client for the test's own checks (path-style, test credentials). */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Every key under `prefix` (all pages). */
  keys(bucket: string, prefix?: string): Promise<string[]>;
  /** Multipart uploads started and neither completed nor aborted, under `prefix`. */
  openUploads(bucket: string, prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  if (!existsSync(MOTO_SERVER)) throw new Error(`${MOTO_SERVER} is missing: run \`node scripts/test-tools.mjs\` (npm test does it first).`);
  const child = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`moto_server did not start within 30 s:\n${output}`)), 30_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto_server exited with ${code}:\n${output}`));
    });
  });
  // Its request log is not needed once it is up; keep the pipes drained.
  child.stdout!.resume();
  child.stderr!.resume();

  const env = { AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({ endpoint, region: env.AWS_REGION, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return {
    endpoint,
    env,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async keys(bucket, prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    async openUploads(bucket, prefix = '') {
      const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
      return (page.Uploads ?? []).map((u) => u.Key!);
    },
    async stop() {
      client.destroy();
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
