import type { NodeCache } from '../cache/node-cache.ts';
import type { Client } from '@temporalio/client';
import type { BlobStore } from '../blob/store.ts';
import type { Logger } from '../logger.ts';
import type { NodeRegistry } from '../node-sdk/registry.ts';
import type { Store } from '../store/types.ts';
import type { FilePolicy } from '../files/policy.ts';
import type { Metrics } from './metrics.ts';
import type { RunTracker } from './runs/run-tracker.ts';

/** Everything route modules need, passed explicitly (no module globals). */
export interface ApiDeps {
  store: Store;
  client: Client;
  registry: NodeRegistry;
  blobs: BlobStore;
  /** The output cache (its stats and clearing are API routes). */
  cache: NodeCache;
  /** Task queue of the pipeline workflows (the workers' default pool). */
  taskQueue: string;
  log: Logger;
  metrics: Metrics;
  /**
   * Folders that pipelines sent through the API may read on the workers' disk (load-file and other
   * nodes declaring access.localFiles). Unset or no roots: such pipelines are refused (NODE_NOT_ALLOWED).
   */
  localFiles?: FilePolicy;
  /** Largest accepted upload in bytes. */
  maxUploadBytes: number;
  /** Public base URL of the API (for webhook URLs); defaults to the request's host. */
  publicUrl?: string;
  /** Keeps the run index current and feeds SSE streams; set by startApiServer. */
  tracker?: RunTracker;
}
