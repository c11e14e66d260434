import type { Readable } from 'node:stream';
import type { BlobRef } from './ref.ts';
import type { BlobUndo } from './undo-log.ts';

export interface PutOptions {
  name?: string;
  mime?: string;
  /** Records the blob in this log when the put created it, so a refused request can delete it (undo-log.ts). */
  undo?: BlobUndo;
}

/** Content-addressed storage for media. Implementations must dedupe by hash and never hold a whole blob in memory. */
export interface BlobStore {
  /** Streams bytes in; the media type is sniffed from the content (a declared one is used only when sniffing finds nothing). */
  put(source: Readable | Uint8Array | string, options?: PutOptions): Promise<BlobRef>;
  /** Streams bytes out; fails with BLOB_NOT_FOUND for an unknown hash. */
  get(ref: Pick<BlobRef, 'sha256'>, range?: { start: number; end?: number }): Promise<Readable>;
  has(ref: Pick<BlobRef, 'sha256'>): Promise<boolean>;
  /** The stored size, or undefined when the blob does not exist. */
  stat(ref: Pick<BlobRef, 'sha256'>): Promise<{ size: number } | undefined>;
  /** Reads a whole blob; for small blobs (text, JSON) only. */
  readAll(ref: Pick<BlobRef, 'sha256'>): Promise<Buffer>;
  /** A log for the puts of one request: rolled back when the request is refused, committed when it succeeds. */
  undoLog(): BlobUndo;
}
