/**
 * The blob store of a remote Tessera, seen through its API: lets `tessera run --server` reuse the local
 * input parsing (files become uploads) and output writing (blob outputs are downloaded to files).
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { BlobRef } from '../blob/ref.ts';
import type { BlobStore, PutOptions } from '../blob/store.ts';
import { NO_UNDO, type BlobUndo } from '../blob/undo-log.ts';
import type { TesseraClient } from '../api/client/client.ts';

export class RemoteBlobStore implements BlobStore {
  constructor(private readonly client: TesseraClient) {}

  put(source: Readable | Uint8Array | string, options: PutOptions = {}): Promise<BlobRef> {
    // A string is content here (as for every BlobStore), never a path.
    const body = typeof source === 'string' ? new TextEncoder().encode(source) : source;
    return this.client.uploadBlob(body, { name: options.name });
  }

  async get(ref: Pick<BlobRef, 'sha256'>, range?: { start: number; end?: number }): Promise<Readable> {
    return Readable.fromWeb((await this.client.downloadBlob(ref.sha256, range)) as NodeReadableStream<Uint8Array>);
  }

  async has(ref: Pick<BlobRef, 'sha256'>): Promise<boolean> {
    return (await this.client.blobSize(ref.sha256)) !== undefined;
  }

  async stat(ref: Pick<BlobRef, 'sha256'>): Promise<{ size: number } | undefined> {
    const size = await this.client.blobSize(ref.sha256);
    return size === undefined ? undefined : { size };
  }

  async readAll(ref: Pick<BlobRef, 'sha256'>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.get(ref)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** The server undoes its own refused uploads; nothing to do here. */
  undoLog(): BlobUndo {
    return NO_UNDO;
  }
}
