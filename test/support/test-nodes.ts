/**
 * Node types used only by the tests. They record what they do in a journal file (one JSON line per
 * event) so tests can count side effects and compare start and end times across processes.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineNode, NodeError } from '../../engine/node-sdk/define-node.ts';

export interface JournalEntry {
  node: string;
  event: string;
  attempt: number;
  t: number;
}

function record(journal: string | undefined, node: string, event: string, attempt: number): void {
  if (journal) appendFileSync(journal, JSON.stringify({ node, event, attempt, t: Date.now() }) + '\n');
}

const journal = z.string().optional().describe('File that receives one JSON line per event.');

/** Waits `ms`, heartbeating and honouring cancellation; journals start and end. */
export const sleepNode = defineNode({
  type: 'test-sleep',
  version: 1,
  title: 'Sleep (test)',
  category: 'Test',
  description: 'Waits, then passes its text through.',
  params: z.object({ ms: z.number().int().min(0), journal }),
  inputs: { in: { kind: 'text', required: false } },
  outputs: { out: { kind: 'text' } },
  execution: { heartbeatTimeout: '5s', retry: { maximumAttempts: 3, initialInterval: '200ms' }, cacheable: false },
  run: async (ctx, inputs, params) => {
    record(params.journal, ctx.nodeId, 'start', ctx.attempt);
    const steps = Math.max(1, Math.ceil(params.ms / 100));
    for (let i = 0; i < steps; i++) {
      await sleep(params.ms / steps, undefined, { signal: ctx.signal });
      ctx.progress((i + 1) / steps);
    }
    record(params.journal, ctx.nodeId, 'end', ctx.attempt);
    return { out: `${inputs.in ?? ''}${ctx.nodeId};` };
  },
});

/** Fails (retryably) on its first `failures` attempts. */
export const flakyNode = defineNode({
  type: 'test-flaky',
  version: 1,
  title: 'Flaky (test)',
  category: 'Test',
  description: 'Throws on the first attempts, then succeeds.',
  params: z.object({ failures: z.number().int().min(0), journal }),
  inputs: { in: { kind: 'text', required: false } },
  outputs: { out: { kind: 'text' } },
  execution: { retry: { maximumAttempts: 5, initialInterval: '100ms', backoffCoefficient: 1 }, cacheable: false },
  run: (ctx, _inputs, params) => {
    record(params.journal, ctx.nodeId, 'attempt', ctx.attempt);
    if (ctx.attempt <= params.failures) throw new Error(`transient failure ${ctx.attempt}`);
    return { out: `ok after ${ctx.attempt}` };
  },
});

/** Fails with a user error that retrying cannot fix. */
export const failNode = defineNode({
  type: 'test-fail',
  version: 1,
  title: 'Fail (test)',
  category: 'Test',
  description: 'Always fails with a non-retryable error.',
  params: z.object({ message: z.string(), journal }),
  execution: { cacheable: false }, // journals every execution: never replaced by a cached result
  inputs: { in: { kind: 'text', required: false } },
  outputs: { out: { kind: 'text' } },
  run: (ctx, _inputs, params) => {
    record(params.journal, ctx.nodeId, 'attempt', ctx.attempt);
    throw new NodeError('TEST_BAD_INPUT', params.message);
  },
});

/** Fails with a retryable error whose code its definition declares never worth retrying, with details. */
export const quotaNode = defineNode({
  type: 'test-quota',
  version: 1,
  title: 'Quota (test)',
  category: 'Test',
  description: 'Throws a retryable error with a code listed in nonRetryableCodes.',
  params: z.object({ journal }),
  inputs: { in: { kind: 'text', required: false } },
  outputs: { out: { kind: 'text' } },
  execution: { retry: { maximumAttempts: 5, initialInterval: '100ms', backoffCoefficient: 1, nonRetryableCodes: ['TEST_QUOTA'] }, cacheable: false },
  run: (ctx, _inputs, params) => {
    record(params.journal, ctx.nodeId, 'attempt', ctx.attempt);
    throw new NodeError('TEST_QUOTA', 'monthly quota used up', { retryable: true, details: { limit: 5, used: 5 } });
  },
});

/** Journals that it ran; used to count side effects. */
export const countNode = defineNode({
  type: 'test-count',
  version: 1,
  title: 'Count (test)',
  category: 'Test',
  description: 'Records one side effect per execution.',
  params: z.object({ journal }),
  execution: { cacheable: false }, // journals every execution: never replaced by a cached result
  inputs: { in: { kind: 'text', required: false } },
  outputs: { out: { kind: 'text' } },
  run: (ctx, inputs, params) => {
    record(params.journal, ctx.nodeId, 'ran', ctx.attempt);
    return { out: `${inputs.in ?? ''}${ctx.nodeId};` };
  },
});

/** Streams a document blob, returns its digest and the same reference (bytes stay in the blob store). */
export const digestNode = defineNode({
  type: 'test-digest',
  version: 1,
  title: 'Digest (test)',
  category: 'Test',
  description: 'Hashes a file by streaming it from the blob store.',
  params: z.object({}),
  inputs: { file: { kind: 'document' } },
  outputs: { sha256: { kind: 'text' }, file: { kind: 'document' } },
  run: async (ctx, inputs) => {
    const hash = createHash('sha256');
    const stream = await ctx.blobs.get(inputs.file);
    for await (const chunk of stream) hash.update(chunk as Buffer);
    return { sha256: hash.digest('hex'), file: inputs.file };
  },
});

/** Produces a long text (to exercise spilling of large values out of workflow history). */
export const bigTextNode = defineNode({
  type: 'test-big-text',
  version: 1,
  title: 'Big text (test)',
  category: 'Test',
  description: 'Outputs a text of the requested size.',
  params: z.object({ bytes: z.number().int().min(1) }),
  inputs: {},
  outputs: { text: { kind: 'text' } },
  run: (_ctx, _inputs, params) => ({ text: 'abcdefghij'.repeat(Math.ceil(params.bytes / 10)).slice(0, params.bytes) }),
});

export const testNodes = [sleepNode, flakyNode, failNode, quotaNode, countNode, digestNode, bigTextNode];
export default testNodes;

export function readJournal(file: string): JournalEntry[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line: string) => JSON.parse(line) as JournalEntry);
  } catch {
    return [];
  }
}
