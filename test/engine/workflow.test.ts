/**
 * The runPipeline workflow against a real Temporal dev server: concurrency of independent branches,
 * retries, non-retryable failures, cancellation, the status query, and history size with large media.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { NodeState, RunPipelineResult } from '../../engine/run/plan.ts';
import { nodeStatusQuery } from '../../engine/run/start.ts';
import { runError } from '../../engine/run/run-error.ts';
import { restoreSpilled } from '../../engine/worker/spill.ts';
import { createTemporalEnv, pipeline, type TemporalEnv } from '../support/temporal-env.ts';
import { readJournal } from '../support/test-nodes.ts';

let env: TemporalEnv;

before(async () => {
  env = await createTemporalEnv();
  await env.startWorker();
});
after(async () => env?.close());

const journalFile = (name: string) => path.join(env.dir, `${name}.jsonl`);

describe('runPipeline workflow', () => {
  test('independent branches of a diamond run at the same time', async () => {
    const journal = journalFile('diamond');
    const doc = pipeline(
      'diamond',
      [
        { id: 'src', type: 'input', params: { name: 'text', kind: 'text' } },
        { id: 'top', type: 'test-count', params: { journal } },
        { id: 'left', type: 'test-sleep', params: { ms: 1500, journal } },
        { id: 'right', type: 'test-sleep', params: { ms: 1500, journal } },
        { id: 'merge', type: 'join', params: { separator: '|' } },
        { id: 'out', type: 'output', params: { name: 'joined' } },
      ],
      ['src.value->top.in', 'top.out->left.in', 'top.out->right.in', 'left.out->merge.items', 'right.out->merge.items', 'merge.text->out.value'],
    );
    const handle = await env.start(doc, { text: 'x' });
    const result = (await handle.result()) as RunPipelineResult;
    assert.equal(result.outputs.joined, 'xtop;left;|xtop;right;');

    const entries = readJournal(journal);
    const at = (node: string, event: string) => entries.find((e) => e.node === node && e.event === event)!.t;
    // Overlap: each branch started before the other ended (recorded by the nodes themselves).
    assert.ok(at('left', 'start') < at('right', 'end'), 'left started before right ended');
    assert.ok(at('right', 'start') < at('left', 'end'), 'right started before left ended');
    // And the workflow's own record agrees: both were running before either finished.
    const { left, right } = result.nodes;
    assert.ok(left.startedAt! < right.endedAt! && right.startedAt! < left.endedAt!);
    for (const id of ['top', 'left', 'right', 'merge']) assert.equal(result.nodes[id].status, 'succeeded');
  });

  test('a flaky node is retried until it succeeds, and its attempt is reported', async () => {
    const journal = journalFile('flaky');
    const doc = pipeline(
      'flaky',
      [
        { id: 'f', type: 'test-flaky', params: { failures: 2, journal } },
        { id: 'out', type: 'output', params: { name: 'result' } },
      ],
      ['f.out->out.value'],
    );
    const result = (await (await env.start(doc)).result()) as RunPipelineResult;
    assert.equal(result.outputs.result, 'ok after 3');
    assert.equal(result.nodes.f.attempt, 3);
    assert.deepEqual(readJournal(journal).map((e) => e.attempt), [1, 2, 3]);
  });

  test('retries stop at the node\'s maximum attempts (overridable in the file)', async () => {
    const journal = journalFile('exhausted');
    const doc = pipeline(
      'exhausted',
      [
        { id: 'f', type: 'test-flaky', params: { failures: 10, journal }, options: { retry: { maximumAttempts: 2, initialInterval: '50ms' } } },
        { id: 'out', type: 'output', params: { name: 'result' } },
      ],
      ['f.out->out.value'],
    );
    const handle = await env.start(doc);
    await assert.rejects(handle.result(), WorkflowFailedError);
    assert.equal(readJournal(journal).length, 2);
    const states = await handle.query(nodeStatusQuery);
    assert.equal(states.f.status, 'failed');
    assert.match(states.f.error!.message, /transient failure 2/);
  });

  test('a non-retryable failure stops the run once, names the node, and cancels its siblings', async () => {
    const journal = journalFile('fail');
    const doc = pipeline(
      'failing',
      [
        { id: 'slow', type: 'test-sleep', params: { ms: 20000, journal } },
        { id: 'bad', type: 'test-fail', params: { message: 'the scan is unreadable', journal } },
        { id: 'after', type: 'test-count', params: { journal } },
        { id: 'o1', type: 'output', params: { name: 'a' } },
        { id: 'o2', type: 'output', params: { name: 'b' } },
      ],
      ['slow.out->o1.value', 'bad.out->after.in', 'after.out->o2.value'],
    );
    const handle = await env.start(doc);
    const error = await handle.result().then(
      () => assert.fail('the run should fail'),
      (err: unknown) => err,
    );
    const coded = runError(error);
    assert.equal(coded.code, 'NODE_FAILED');
    assert.equal(coded.nodeId, 'bad');
    assert.match(coded.message, /Node "bad" \(test-fail\) failed: the scan is unreadable/);

    const states = await handle.query(nodeStatusQuery);
    assert.equal(states.bad.status, 'failed');
    assert.equal(states.bad.error?.code, 'TEST_BAD_INPUT');
    assert.equal(states.slow.status, 'cancelled');
    assert.equal(states.after.status, 'cancelled');
    const entries = readJournal(journal);
    assert.equal(entries.filter((e) => e.node === 'bad').length, 1, 'not retried');
    assert.equal(entries.filter((e) => e.node === 'after').length, 0, 'downstream never ran');
  });

  test('a code listed in nonRetryableCodes is not retried even when the error says retryable, and its details reach the user', async () => {
    const journal = journalFile('quota');
    const doc = pipeline('quota', [{ id: 'q', type: 'test-quota', params: { journal } }, { id: 'o', type: 'output', params: { name: 'o' } }], ['q.out->o.value']);
    const handle = await env.start(doc);
    const error = await handle.result().then(
      () => assert.fail('the run should fail'),
      (err: unknown) => err,
    );
    const coded = runError(error);
    assert.equal(coded.nodeId, 'q');
    assert.deepEqual(coded.details, { code: 'TEST_QUOTA', details: { limit: 5, used: 5 } });
    const states = await handle.query(nodeStatusQuery);
    assert.deepEqual(states.q.error, { message: 'monthly quota used up', code: 'TEST_QUOTA', details: { limit: 5, used: 5 } });
    assert.equal(states.q.attempt, 1);
    assert.equal(readJournal(journal).filter((e) => e.node === 'q').length, 1, 'one attempt only');
  });

  test('cancelling a run cancels its running nodes', async () => {
    const journal = journalFile('cancel');
    const doc = pipeline(
      'cancel',
      [
        { id: 'long', type: 'test-sleep', params: { ms: 30000, journal }, options: { heartbeatTimeout: '1s' } },
        { id: 'out', type: 'output', params: { name: 'x' } },
      ],
      ['long.out->out.value'],
    );
    const handle = await env.start(doc);
    await waitFor(async () => readJournal(journal).some((e) => e.event === 'start'));
    const running = await handle.query(nodeStatusQuery);
    assert.equal(running.long.status, 'running');
    await handle.cancel();
    await assert.rejects(handle.result(), (err: unknown) => runError(err).code === 'RUN_CANCELLED');
    const states = await handle.query(nodeStatusQuery);
    assert.equal(states.long.status, 'cancelled');
    assert.ok(!readJournal(journal).some((e) => e.event === 'end'), 'the sleeping node stopped');
  });

  test('a 24 MB blob flows through a pipeline while the history stays small', async () => {
    const size = 24 * 1024 * 1024;
    const ref = await env.blobs.put(Readable.from(chunks(size)), { name: 'big.bin' });
    assert.equal(ref.size, size);
    const doc = pipeline(
      'big-blob',
      [
        { id: 'file', type: 'input', params: { name: 'file', kind: 'document' } },
        { id: 'digest', type: 'test-digest' },
        { id: 'o1', type: 'output', params: { name: 'sha256' } },
        { id: 'o2', type: 'output', params: { name: 'file' } },
      ],
      ['file.value->digest.file', 'digest.sha256->o1.value', 'digest.file->o2.value'],
    );
    const handle = await env.start(doc, { file: ref });
    const result = (await handle.result()) as RunPipelineResult;
    assert.equal(result.outputs.sha256, ref.sha256);
    assert.deepEqual(result.outputs.file, ref);
    const history = await handle.fetchHistory();
    const historyBytes = Buffer.byteLength(JSON.stringify(history));
    assert.ok(historyBytes < 64 * 1024, `history is ${historyBytes} bytes`);
  });

  test('a large node output is kept out of the history and still reaches the next node', async () => {
    const doc = pipeline(
      'big-text',
      [
        { id: 'big', type: 'test-big-text', params: { bytes: 3 * 1024 * 1024 } },
        { id: 'small', type: 'text-template', params: { template: 'end' } },
        { id: 'both', type: 'join', params: { separator: '|' } },
        { id: 'out', type: 'output', params: { name: 'text' } },
      ],
      ['big.text->both.items', 'small.text->both.items', 'both.text->out.value'],
    );
    const handle = await env.start(doc);
    const result = (await handle.result()) as RunPipelineResult;
    const restored = await restoreSpilled(result.outputs, env.blobs);
    const text = restored.text as string;
    assert.equal(text.length, 3 * 1024 * 1024 + 4);
    assert.ok(text.startsWith('abcdefghij') && text.endsWith('|end'));
    const historyBytes = Buffer.byteLength(JSON.stringify(await handle.fetchHistory()));
    assert.ok(historyBytes < 64 * 1024, `history is ${historyBytes} bytes`);
  });
});

function* chunks(total: number): Generator<Buffer> {
  const block = randomBytes(1024 * 1024);
  for (let sent = 0; sent < total; sent += block.length) yield block;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
