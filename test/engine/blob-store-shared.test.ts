/**
 * A worker whose blob store is not the one the run's blobs were stored in (an API and a worker with
 * separate data folders) fails the node at once, saying that the blob store must be shared, instead of
 * retrying "No blob with sha256 ..." for a minute.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import { createTemporalEnv, pipeline, type TemporalEnv } from '../support/temporal-env.ts';

let env: TemporalEnv;
before(async () => {
  env = await createTemporalEnv();
  // This worker's data folder is not the one the run's input was stored in.
  await env.startWorker({ blobs: new FsBlobStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'tessera-other-data-')), 'blobs')) });
});
after(async () => env?.close());

test('a blob missing from the worker\'s store fails the node at once and says the store must be shared', async () => {
  const doc = pipeline(
    'digest-elsewhere',
    [
      { id: 'file', type: 'input', params: { name: 'file', kind: 'document' } },
      { id: 'digest', type: 'test-digest', params: {} },
      { id: 'out', type: 'output', params: { name: 'sha256' } },
    ],
    ['file.value->digest.file', 'digest.sha256->out.value'],
  );
  const ref = await env.blobs.put(Buffer.from('%PDF-1.4 stored by the API only'), { name: 'a.pdf' });
  const handle = await env.start(doc, { file: ref }, 'api');
  const err = await handle.result().catch((e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError, String(err));
  const detail = ((err.cause as { details?: unknown[] }).details?.[0] ?? {}) as { code?: string; message?: string };
  const cause = err.cause as { message?: string };
  assert.equal(detail.code, 'BLOB_NOT_FOUND');
  assert.match(cause.message ?? '', /must share one blob store, the blobs\/ folder of the same data folder \(TESSERA_DATA_DIR, --data-dir\)/);
  const { raw } = await handle.describe();
  assert.equal(raw.pendingActivities?.length ?? 0, 0);
  const history = await handle.fetchHistory();
  const attempts = history.events?.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
  assert.deepEqual(attempts, [1], 'the node was not retried');
});
