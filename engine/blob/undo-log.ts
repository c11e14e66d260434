/**
 * Undoing the uploads of a refused request without breaking content-addressed dedupe.
 *
 * A put given an undo log records in it the blobs it *created*: the file did not exist before (the store
 * decides that atomically, see FsBlobStore.place). A blob that existed before the request is never
 * recorded, so it is never deleted. Any later put of the same content in this process, by anyone (another
 * request, a worker, POST /blobs), takes the blob out of the log: someone else now relies on it.
 * `rollback()` deletes what is still recorded; `commit()` keeps everything.
 *
 * Every step that decides (store, forget, delete) is synchronous, so no other put in this process can slip
 * between "this request created it" and "delete it". What this cannot see: another process writing the
 * same bytes into the same blob folder at that moment (a separate worker producing identical output),
 * or a client that learned the hash and referenced it without uploading, inside the few milliseconds
 * between the upload and the refusal.
 */
export interface BlobUndo {
  /** Deletes the blobs this log created that nobody else has stored since. */
  rollback(): void;
  /** Keeps them (the request succeeded). */
  commit(): void;
}

export class UndoLedger {
  /** Blob -> the open log that created it and may still delete it. */
  private readonly creators = new Map<string, UndoLog>();

  constructor(private readonly removeSync: (sha256: string) => void) {}

  open(): BlobUndo {
    return new UndoLog(this);
  }

  /** Called synchronously right after every put placed (or found) `sha256`. */
  stored(sha256: string, created: boolean, log: BlobUndo | undefined): void {
    const creator = this.creators.get(sha256);
    if (creator && creator !== log) this.release(creator, sha256);
    if (created && log instanceof UndoLog && !log.closed) {
      this.creators.set(sha256, log);
      log.created.add(sha256);
    }
  }

  /** @internal */
  close(log: UndoLog, remove: boolean): void {
    for (const sha256 of log.created) {
      if (this.creators.get(sha256) !== log) continue;
      this.creators.delete(sha256);
      if (remove) this.removeSync(sha256);
    }
    log.created.clear();
    log.closed = true;
  }

  private release(log: UndoLog, sha256: string): void {
    this.creators.delete(sha256);
    log.created.delete(sha256);
  }
}

class UndoLog implements BlobUndo {
  readonly created = new Set<string>();
  closed = false;

  constructor(private readonly ledger: UndoLedger) {}

  rollback(): void {
    this.ledger.close(this, true);
  }

  commit(): void {
    this.ledger.close(this, false);
  }
}

/** For stores that cannot delete (a remote API does its own undo): records nothing, deletes nothing. */
export const NO_UNDO: BlobUndo = { rollback() {}, commit() {} };
