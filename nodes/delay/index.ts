/** Waits a duration or until a time, as a durable Temporal timer, then passes its value on. */
import { z } from 'zod';
import { defineNode } from '../../engine/node-sdk/define-node.ts';
import { Duration } from '../common/params.ts';
import { flowKind, runsInWorkflow } from '../common/flow-kinds.ts';

export const delayNode = defineNode({
  type: 'delay',
  version: 1,
  title: 'Delay',
  category: 'Flow',
  description: 'Waits a duration (or until a time) before passing its value on; survives restarts.',
  role: 'control',
  params: z.object({
    kind: flowKind,
    duration: Duration.optional().describe('How long to wait, e.g. "30s", "10m", "24h".'),
    until: z.iso.datetime({ offset: true }).optional().describe('Or: wait until this time (ISO 8601, e.g. 2026-12-01T09:00:00Z).'),
  }),
  inputs: (p: { kind: string }) => ({ value: { kind: p.kind as never, required: false } }),
  outputs: (p: { kind: string }) => ({ value: { kind: p.kind as never } }),
  check: (p) => ((p.duration === undefined) === (p.until === undefined) ? ['set exactly one of "duration" and "until".'] : []),
  run: runsInWorkflow('delay'),
});
