/**
 * The blob store on S3 or an S3-compatible server, with the file-system store's behaviour (fs-store.ts):
 * content addressing by sha256 at `<prefix><aa>/<sha256>` (the same layout as the blob folder, so
 * `aws s3 sync .tessera/blobs s3://bucket/prefix --exclude 'tmp/*'` moves a data folder's blobs), dedupe,
 * media types sniffed from the first bytes, undo logs.
 *
 * A put hashes while it streams, so the key is known only at the end:
 * - up to one part (8 MiB): the bytes are held (one part is the memory bound anyway), hashed, and written
 *   with one conditional PutObject straight to their content key;
 * - larger: a multipart upload (lib-storage, 8 MiB x 4 parts in flight) to `<prefix>tmp/<uuid>`, then a
 *   server-side multipart copy to the content key (UploadPartCopy, no bytes through this process) completed
 *   with `If-None-Match: *`, then the temporary object is deleted. S3 has no rename; the copy is the price
 *   of streaming, paid only for objects larger than a part and only when the content is new (a HEAD first).
 * Memory is bounded by part size times parts in flight, whatever the object size.
 *
 * "Did this put create the blob?" (undo-log.ts) is decided under a per-key lock in this process (HEAD,
 * then a write conditional on the key being absent), so two puts of the same bytes here never both
 * claim it; across processes the conditional write decides where the server supports it (AWS, moto; a
 * server that ignores If-None-Match overwrites identical bytes, and both may claim it). An undo's deletes
 * are asynchronous: every read and put of those bytes waits for them, so a rolled-back blob is gone for
 * everyone here as soon as `rollback()` returns.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { TesseraError } from '../errors.ts';
import type { BlobRef } from './ref.ts';
import { SNIFF_BYTES, sniffMime } from './sniff.ts';
import type { BlobStore, PutOptions } from './store.ts';
import { UndoLedger, type BlobUndo } from './undo-log.ts';

const MiB = 1024 * 1024;
const SHA256 = /^[0-9a-f]{64}$/;

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, '' or ending with '/'. */
  prefix?: string;
  /** Bytes per uploaded part (at least 5 MiB, S3's minimum); also the largest put sent in one request. Default 8 MiB. */
  partSize?: number;
  /** Parts uploaded (or copied) at once. Default 4. */
  queueSize?: number;
  /** Bytes per server-side copy request when a large put moves to its content key (5 MiB to 5 GiB). Default 64 MiB. */
  copyPartSize?: number;
  /** Where the failure of a background delete (an undo) is reported; default process.emitWarning. */
  warn?: (message: string) => void;
}

export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly copyPartSize: number;
  private readonly warn: (message: string) => void;
  private readonly ledger = new UndoLedger((sha256) => this.deleteLater(sha256));
  /** Undo deletes under way, by hash: reads and puts of these bytes wait for them. */
  private readonly deleting = new Map<string, Promise<void>>();
  /** The tail of each key's queue of placements (see `locked`). */
  private readonly locks = new Map<string, Promise<void>>();
  /** Cleared when the server answers 501 to If-None-Match (then HEAD alone decides). */
  private conditionalWrites = true;

  constructor(options: S3BlobStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    if (this.prefix && !this.prefix.endsWith('/')) throw new Error(`S3 key prefix must end with "/": ${this.prefix}`);
    this.partSize = options.partSize ?? 8 * MiB;
    this.queueSize = options.queueSize ?? 4;
    this.copyPartSize = options.copyPartSize ?? 64 * MiB;
    if (this.partSize < 5 * MiB) throw new Error('S3 parts must be at least 5 MiB.');
    if (this.copyPartSize < 5 * MiB || this.copyPartSize > 5 * 1024 * MiB) throw new Error('S3 copy parts must be 5 MiB to 5 GiB.');
    this.warn = options.warn ?? ((message) => process.emitWarning(message, 'TesseraBlobStoreWarning'));
  }

  /** `s3://bucket/prefix/`, for messages. */
  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  async put(source: Readable | Uint8Array | string, options: PutOptions = {}): Promise<BlobRef> {
    const input = typeof source === 'string' || source instanceof Uint8Array ? Readable.from([toBuffer(source)]) : source;
    const chunks = input[Symbol.asyncIterator]();
    const hash = createHash('sha256');
    let size = 0;
    // An error of the source (a client that went away, an upload guard's refusal) is reported as it is,
    // not as a failure of the store, even when it surfaces through lib-storage.
    let sourceError: unknown;
    const next = async (): Promise<Buffer | undefined> => {
      const { value, done } = await chunks.next().catch((err: unknown) => {
        sourceError = err;
        throw err;
      });
      if (done) return undefined;
      const chunk = toBuffer(value as Buffer | Uint8Array | string);
      hash.update(chunk);
      size += chunk.length;
      return chunk;
    };
    let body: Readable | undefined;
    try {
      // The first part (and one byte more, to know whether there is more): held, at most a part.
      const first: Buffer[] = [];
      let ended = false;
      while (size <= this.partSize) {
        const chunk = await next();
        if (!chunk) {
          ended = true;
          break;
        }
        first.push(chunk);
      }
      const head = leading(first, SNIFF_BYTES);
      const contentType = await sniffMime(head);
      const mime = await sniffMime(head, options.mime);
      let sha256: string;
      if (ended) {
        const bytes = Buffer.concat(first);
        sha256 = hash.digest('hex');
        await this.place(sha256, options.undo, () => this.putSmall(this.keyOf(sha256), bytes, contentType));
      } else {
        const tmpKey = `${this.prefix}tmp/${randomUUID()}`;
        body = Readable.from(
          (async function* () {
            while (first.length) yield first.shift()!;
            for (let chunk = await next(); chunk; chunk = await next()) yield chunk;
          })(),
          { highWaterMark: 1 }, // lib-storage gathers the parts; no queue of chunks in between
        );
        // On failure (the source broke, a part was refused) lib-storage aborts the multipart upload itself.
        const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: tmpKey, Body: body }, partSize: this.partSize, queueSize: this.queueSize, leavePartsOnError: false });
        await upload.done().catch((err: unknown) => {
          throw sourceError ?? this.failure('upload', err);
        });
        sha256 = hash.digest('hex');
        try {
          const total = size;
          await this.place(sha256, options.undo, () => this.copyFromTemp(tmpKey, this.keyOf(sha256), total, contentType));
        } finally {
          await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tmpKey })).catch((err: unknown) => this.warn(`${this.failure('delete a temporary object', err).message} (left ${tmpKey} behind)`));
        }
      }
      return { sha256, mime, size, ...(options.name ? { name: options.name } : {}) };
    } catch (err) {
      body?.destroy();
      input.destroy();
      throw err;
    }
  }

  async get(ref: Pick<BlobRef, 'sha256'>, range?: { start: number; end?: number }): Promise<Readable> {
    if (!SHA256.test(ref.sha256)) throw notFound(ref.sha256);
    await this.deleting.get(ref.sha256);
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(ref.sha256), Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined }),
      );
      return out.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw notFound(ref.sha256);
      // A range that starts past the end: no bytes, as a file read from there gives (fs-store.ts).
      if (statusOf(err) === 416) return Readable.from([]);
      throw this.failure('read', err);
    }
  }

  async has(ref: Pick<BlobRef, 'sha256'>): Promise<boolean> {
    return (await this.stat(ref)) !== undefined;
  }

  async stat(ref: Pick<BlobRef, 'sha256'>): Promise<{ size: number } | undefined> {
    if (!SHA256.test(ref.sha256)) return undefined;
    await this.deleting.get(ref.sha256);
    return this.head(this.keyOf(ref.sha256));
  }

  async readAll(ref: Pick<BlobRef, 'sha256'>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.get(ref)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  undoLog(): BlobUndo {
    return this.ledger.open();
  }

  /**
   * Start-up check: the bucket exists and these credentials may list, write and delete under the prefix
   * (a small probe object under tmp/). Throws BLOB_STORE_UNAVAILABLE saying what is wrong.
   */
  async check(timeoutMs = 15_000): Promise<void> {
    const abortSignal = AbortSignal.timeout(timeoutMs);
    const probe = `${this.prefix}tmp/probe-${randomUUID()}`;
    let step = 'list';
    try {
      await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: 1 }), { abortSignal });
      step = 'write';
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: probe, Body: Buffer.alloc(0) }), { abortSignal });
      step = 'delete';
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: probe }), { abortSignal });
    } catch (err) {
      const reason = explain(err, this.bucket, abortSignal.aborted ? timeoutMs : undefined);
      throw new TesseraError('BLOB_STORE_UNAVAILABLE', `The blob store ${this.location} cannot be used (${step} failed): ${reason}`, {
        details: { bucket: this.bucket, prefix: this.prefix, step, error: (err as Error)?.name },
        cause: err,
      });
    }
  }

  /** Resolves when the deletes of rolled-back blobs have landed. */
  async settled(): Promise<void> {
    while (this.deleting.size) await Promise.all(this.deleting.values());
  }

  /** Waits for pending deletes and closes the client's connections. */
  async close(): Promise<void> {
    await this.settled();
    this.client.destroy();
  }

  /** The key of a blob: `<prefix><aa>/<sha256>`, as the file-system store's path below its root. */
  keyOf(sha256: string): string {
    return `${this.prefix}${sha256.slice(0, 2)}/${sha256}`;
  }

  /**
   * Writes a blob unless it exists, and records in the ledger whether this put created it. One placement
   * per key at a time in this process; an undo's delete of the same bytes lands first, and one that
   * starts meanwhile (a rollback between our HEAD and our record) makes us place them again.
   */
  private place(sha256: string, undo: BlobUndo | undefined, create: () => Promise<boolean>): Promise<void> {
    return this.locked(sha256, async () => {
      for (;;) {
        await this.deleting.get(sha256);
        const created = (await this.head(this.keyOf(sha256))) ? false : await create();
        if (this.deleting.has(sha256)) continue;
        this.ledger.stored(sha256, created, undo);
        return;
      }
    });
  }

  /** One PutObject, only if the key is absent; false when it was there (412). */
  private async putSmall(key: string, body: Buffer, contentType: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, ...(this.conditionalWrites ? { IfNoneMatch: '*' } : {}) }));
        return true;
      } catch (err) {
        const status = statusOf(err);
        if (status === 412) return false;
        if (status === 501 && this.conditionalWrites) {
          this.conditionalWrites = false;
          continue;
        }
        // 409: another conditional write of this key is in flight; AWS asks to retry.
        if (status === 409 && attempt < 5) {
          await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
          continue;
        }
        throw this.failure('write', err);
      }
    }
  }

  /** Server-side multipart copy of the temporary object to its content key; false when the key was there (412). */
  private async copyFromTemp(tmpKey: string, key: string, size: number, contentType: string): Promise<boolean> {
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType })).catch(this.rethrow('start a copy'));
    try {
      const ranges: { PartNumber: number; start: number; end: number }[] = [];
      for (let start = 0, n = 1; start < size; start += this.copyPartSize, n++) ranges.push({ PartNumber: n, start, end: Math.min(size, start + this.copyPartSize) - 1 });
      const parts: CompletedPart[] = [];
      const copySource = `${this.bucket}/${tmpKey.split('/').map(encodeURIComponent).join('/')}`;
      const copier = async () => {
        for (let range = ranges.shift(); range; range = ranges.shift()) {
          const out = await this.client.send(
            new UploadPartCopyCommand({ Bucket: this.bucket, Key: key, UploadId, PartNumber: range.PartNumber, CopySource: copySource, CopySourceRange: `bytes=${range.start}-${range.end}` }),
          );
          parts.push({ PartNumber: range.PartNumber, ETag: out.CopyPartResult?.ETag });
        }
      };
      await Promise.all(Array.from({ length: this.queueSize }, copier));
      parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId, MultipartUpload: { Parts: parts }, ...(this.conditionalWrites ? { IfNoneMatch: '*' } : {}) }),
      );
      return true;
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId })).catch(() => undefined);
      if (statusOf(err) === 412) return false;
      throw err instanceof S3BlobStoreError ? err : this.failure('copy', err);
    }
  }

  /** The size of an object, or undefined when it does not exist. */
  private async head(key: string): Promise<{ size: number } | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: out.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failure('stat', err);
    }
  }

  /** An undo's delete, started now (synchronously, from the ledger) and awaited by every later use of the bytes. */
  private deleteLater(sha256: string): void {
    const previous = this.deleting.get(sha256) ?? Promise.resolve();
    const entry: Promise<void> = previous
      .then(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(sha256) })))
      .then(
        () => undefined,
        (err: unknown) => this.warn(`an undone blob was not deleted: ${this.failure('delete', err).message}`),
      )
      .then(() => {
        if (this.deleting.get(sha256) === entry) this.deleting.delete(sha256);
      });
    this.deleting.set(sha256, entry);
  }

  /** Runs `fn` after every earlier call for the same key has finished. */
  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
    this.locks.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  /** A rejection handler that rethrows an SDK error as this store's failure (`.catch(this.rethrow('copy'))`). */
  private rethrow(what: string): (err: unknown) => never {
    return (err) => {
      throw this.failure(what, err);
    };
  }

  private failure(what: string, err: unknown): Error {
    if (err instanceof S3BlobStoreError || err instanceof TesseraError) return err;
    const e = err as Error & { Code?: string };
    return new S3BlobStoreError(`Blob store ${this.location}: ${what} failed: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, { cause: err });
  }
}

/**
 * A failure of the object store while running (unreachable, throttled, refused). A plain error on purpose:
 * a node that meets one is retried by its activity's retry policy, where a catalogue error would not be.
 */
export class S3BlobStoreError extends Error {
  override name = 'S3BlobStoreError';
}

function toBuffer(value: Buffer | Uint8Array | string): Buffer {
  if (typeof value === 'string') return Buffer.from(value);
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** The first `n` bytes of some chunks. */
function leading(chunks: Buffer[], n: number): Buffer {
  const out: Buffer[] = [];
  let length = 0;
  for (const chunk of chunks) {
    if (length >= n) break;
    out.push(chunk.subarray(0, n - length));
    length += out[out.length - 1].length;
  }
  return Buffer.concat(out);
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** A missing object (HEAD answers a bare 404, GET says NoSuchKey); a missing bucket is not "no such blob". */
function isNotFound(err: unknown): boolean {
  const name = (err as Error)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || (statusOf(err) === 404 && name !== 'NoSuchBucket');
}

function notFound(sha256: string): TesseraError {
  return new TesseraError('BLOB_NOT_FOUND', `No blob with sha256 ${sha256}.`, { details: { sha256 } });
}

/** What a failed start-up probe means, in words that say what to change. */
function explain(err: unknown, bucket: string, timedOutAfterMs?: number): string {
  const e = err as Error & { code?: string; Code?: string };
  const name = e?.name ?? '';
  const message = e?.message ?? String(err);
  const status = statusOf(err);
  const net = e?.code ?? (e?.cause as { code?: string } | undefined)?.code;
  if (timedOutAfterMs !== undefined) return `no answer within ${timedOutAfterMs / 1000} s (is the endpoint right? AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).`;
  if (name === 'NoSuchBucket' || (status === 404 && /bucket/i.test(message))) return `the bucket "${bucket}" does not exist: create it, or correct TESSERA_BLOB_URL.`;
  if (name === 'CredentialsProviderError' || /credential/i.test(message)) return `no AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE). ${message}`;
  if (/region is missing/i.test(message)) return 'no region: set AWS_REGION (most S3-compatible servers accept us-east-1).';
  if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') return `the credentials were refused (${name}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. ${message}`;
  if (status === 403 || name === 'AccessDenied') return `access denied: these credentials need s3:ListBucket on the bucket and s3:GetObject, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload under the prefix. ${message}`;
  if (net && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)$/.test(net)) return `the endpoint cannot be reached (${net}): check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL. ${message}`;
  return `${name ? `${name}: ` : ''}${message}`;
}
