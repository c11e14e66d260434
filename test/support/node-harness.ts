/**
 * Runs a node's `run` outside Temporal, with a real context: real providers (the official SDKs against
 * the fake provider server), the local tesseract provider, a real FsBlobStore and SqliteVectorStore in a
 * temporary folder. What the node reports (usage, progress, heartbeats) is collected for assertions.
 *
 *   const env = await startNodeEnv();                 // fake server + providers + stores in a temp dir
 *   const ctx = env.context();                         // a fresh NodeContext per run
 *   const out = await runNode(captionNode, { image }, { detail: 'low' }, ctx);
 *   ctx.usage; ctx.progressReports; env.fake.requestsTo('chat'); await env.close();
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BlobRef } from '../../engine/blob/ref.ts';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import type { BlobStore } from '../../engine/blob/store.ts';
import { createLogger, type Logger } from '../../engine/logger.ts';
import { createLocalProvider } from '../../engine/media/ocr-local.ts';
import { NodeError, type LocalFiles, type NodeContext, type NodeDefinition } from '../../engine/node-sdk/define-node.ts';
import { localFiles } from '../../engine/files/local-files.ts';
import { createProviders } from '../../engine/providers/index.ts';
import { noProviders } from '../../engine/providers/none.ts';
import type { Provider, Providers, Usage } from '../../engine/providers/types.ts';
import { SqliteVectorStore } from '../../engine/vector/sqlite-store.ts';
import type { VectorStore } from '../../engine/vector/store.ts';
import { startFakeProviders, type FakeProviders } from './fake-provider-server.ts';
import { fakeKey } from './fake-keys.ts';

export interface ProgressReport {
  fraction: number;
  message?: string;
}

/** A NodeContext that also exposes what the node reported and the controller behind its signal. */
export interface TestNodeContext extends NodeContext {
  readonly usage: Usage[];
  readonly progressReports: ProgressReport[];
  /** Heartbeats, including those progress() implies (as the worker's progress heartbeats). */
  readonly heartbeats: { count: number };
  readonly controller: AbortController;
}

export interface NodeContextOptions {
  providers?: Providers;
  blobs: BlobStore;
  vectors?: VectorStore;
  /** Default: the disk as the local CLI's runs see it (any path the user can read). */
  files?: LocalFiles;
  runId?: string;
  nodeId?: string;
  attempt?: number;
  log?: Logger;
  controller?: AbortController;
}

const silentLogger = createLogger('silent');

/** A vector store that fails loudly: for nodes that must not touch vectors. */
const noVectors: VectorStore = {
  upsert: () => Promise.reject(new Error('this test context has no vector store')),
  search: () => Promise.reject(new Error('this test context has no vector store')),
  count: () => Promise.reject(new Error('this test context has no vector store')),
  close: () => undefined,
};

export function nodeContext(options: NodeContextOptions): TestNodeContext {
  const usage: Usage[] = [];
  const progressReports: ProgressReport[] = [];
  const heartbeats = { count: 0 };
  const controller = options.controller ?? new AbortController();
  return {
    runId: options.runId ?? 'test-run',
    nodeId: options.nodeId ?? 'node',
    attempt: options.attempt ?? 1,
    blobs: options.blobs,
    providers: options.providers ?? noProviders,
    vectors: options.vectors ?? noVectors,
    files: options.files ?? localFiles(undefined, 'cli'),
    log: options.log ?? silentLogger,
    signal: controller.signal,
    controller,
    usage,
    progressReports,
    heartbeats,
    recordUsage: (u) => void usage.push(u),
    heartbeat: () => void heartbeats.count++,
    // Recorded as given (not checked here: a throw inside a node's callback would mask what it did).
    progress: (fraction, message) => {
      heartbeats.count++;
      progressReports.push(message === undefined ? { fraction } : { fraction, message });
    },
  };
}

/**
 * Parses `params` through the definition's schema (as the worker does: defaults applied, a bad param
 * is PARAMS_INVALID) and runs the node.
 */
export async function runNode(definition: NodeDefinition, inputs: Record<string, unknown>, params: unknown, ctx: NodeContext): Promise<Record<string, unknown>> {
  const parsed = definition.params.safeParse(params);
  if (!parsed.success) {
    throw new NodeError('PARAMS_INVALID', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return definition.run(ctx, inputs, parsed.data);
}

/** Keys the providers are configured with; none of them may ever show up in an error message. */
export const TEST_KEYS = {
  openai: fakeKey('sk-test-openai-'),
  anthropic: fakeKey('sk-ant-test-'),
};

/** Embedding models the `compatible` provider says accept images (TESSERA_COMPATIBLE_IMAGE_EMBEDDING_MODELS). */
export const COMPATIBLE_IMAGE_MODELS = ['clip', 'siglip'];

export interface NodeEnv {
  fake: FakeProviders;
  providers: Providers;
  blobs: FsBlobStore;
  vectors: SqliteVectorStore;
  dir: string;
  /** A fresh context (its own usage, progress and signal) on the shared providers and stores. */
  context(overrides?: Partial<NodeContextOptions>): TestNodeContext;
  /** Stores bytes as a blob; the media type is sniffed from the content, as for run inputs. */
  put(data: Uint8Array | string, name?: string): Promise<BlobRef>;
  close(): Promise<void>;
}

/**
 * The fake provider server, the providers a worker with OpenAI, Anthropic and an OpenAI-compatible
 * server configured would have (all pointing at the fake), plus `local` OCR, and stores in a temp dir.
 */
export async function startNodeEnv(options: { env?: Record<string, string>; extra?: Provider[] } = {}): Promise<NodeEnv> {
  const fake = await startFakeProviders();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-node-test-'));
  const providers = createProviders(
    {
      OPENAI_API_KEY: TEST_KEYS.openai,
      OPENAI_BASE_URL: fake.openaiBaseURL,
      ANTHROPIC_API_KEY: TEST_KEYS.anthropic,
      ANTHROPIC_BASE_URL: fake.anthropicBaseURL,
      TESSERA_COMPATIBLE_BASE_URL: fake.openaiBaseURL,
      TESSERA_COMPATIBLE_IMAGE_EMBEDDING_MODELS: COMPATIBLE_IMAGE_MODELS.join(','),
      ...options.env,
    },
    undefined,
    options.extra ?? [createLocalProvider()],
  );
  const blobs = new FsBlobStore(path.join(dir, 'blobs'));
  const vectors = new SqliteVectorStore(path.join(dir, 'vectors.db'));
  return {
    fake,
    providers,
    blobs,
    vectors,
    dir,
    context: (overrides = {}) => nodeContext({ providers, blobs, vectors, ...overrides }),
    put: (data, name) => blobs.put(data, name ? { name } : {}),
    async close() {
      vectors.close();
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Awaits a rejection and returns the NodeError (fails the test for anything else). */
export async function nodeError(work: Promise<unknown>): Promise<NodeError> {
  const err = await work.then(
    (value) => {
      throw new Error(`expected a NodeError, but the call succeeded with ${JSON.stringify(value)?.slice(0, 300)}`);
    },
    (e: unknown) => e,
  );
  if (!(err instanceof NodeError)) throw new Error(`expected a NodeError, got ${(err as Error)?.stack ?? String(err)}`);
  return err;
}
