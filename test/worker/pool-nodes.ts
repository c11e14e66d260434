/**
 * A node type for the worker tests, loaded into `tessera worker` processes as a plugin: it journals which
 * process ran it (pid and the worker's TESSERA_TEST_WORKER label) with its start and end times, so tests
 * can tell which worker ran which node and how many ran at once.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineNode } from '../../engine/node-sdk/define-node.ts';

export interface PidEntry {
  node: string;
  event: 'start' | 'end';
  pid: number;
  worker: string;
  t: number;
}

function record(journal: string, node: string, event: PidEntry['event']): void {
  const entry: PidEntry = { node, event, pid: process.pid, worker: process.env.TESSERA_TEST_WORKER ?? '', t: Date.now() };
  appendFileSync(journal, JSON.stringify(entry) + '\n');
}

export function readPidJournal(file: string): PidEntry[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as PidEntry);
  } catch {
    return [];
  }
}

/** Start and end of each node in the journal. */
export function intervals(entries: PidEntry[]): Map<string, { start: number; end: number; pid: number; worker: string }> {
  const out = new Map<string, { start: number; end: number; pid: number; worker: string }>();
  for (const e of entries) {
    const current = out.get(e.node) ?? { start: NaN, end: NaN, pid: e.pid, worker: e.worker };
    current[e.event === 'start' ? 'start' : 'end'] = e.t;
    out.set(e.node, current);
  }
  return out;
}

export const pidNode = defineNode({
  type: 'test-pid',
  version: 1,
  title: 'Which worker (test)',
  category: 'Test',
  description: 'Journals the process that runs it; optionally waits until `together` nodes have started, then `ms`.',
  params: z.object({
    journal: z.string(),
    ms: z.number().int().min(0).default(0),
    /** Waits (up to a minute) until this many nodes of the journal have started: proves they ran at once. */
    together: z.number().int().min(1).default(1),
  }),
  inputs: { in: { kind: 'text', required: false } },
  outputs: { out: { kind: 'text' } },
  execution: { heartbeatTimeout: '5s', retry: { maximumAttempts: 1 }, cacheable: false },
  run: async (ctx, inputs, params) => {
    record(params.journal, ctx.nodeId, 'start');
    const until = Date.now() + 60_000;
    while (readPidJournal(params.journal).filter((e) => e.event === 'start').length < params.together && Date.now() < until) {
      await sleep(20, undefined, { signal: ctx.signal });
      ctx.heartbeat();
    }
    await sleep(params.ms, undefined, { signal: ctx.signal });
    record(params.journal, ctx.nodeId, 'end');
    return { out: `${inputs.in ?? ''}${ctx.nodeId}@${process.env.TESSERA_TEST_WORKER ?? process.pid};` };
  },
});

export default [pidNode];
