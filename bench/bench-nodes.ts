/** Node types used only by the benchmark: one that returns at once, one that waits. */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineNode } from '../engine/node-sdk/define-node.ts';

/** Passes its text through; measures what the engine adds around a node that does nothing. */
export const benchNoopNode = defineNode({
  type: 'bench-noop',
  version: 1,
  title: 'No-op (bench)',
  category: 'Bench',
  description: 'Returns its input text unchanged.',
  params: z.object({}),
  inputs: { text: { kind: 'text' } },
  outputs: { text: { kind: 'text' } },
  run: (_ctx, inputs) => ({ text: inputs.text }),
});

/** Waits `ms` milliseconds (honouring cancellation), then returns its node id. */
export const benchSleepNode = defineNode({
  type: 'bench-sleep',
  version: 1,
  title: 'Sleep (bench)',
  category: 'Bench',
  description: 'Waits for params.ms milliseconds.',
  params: z.object({ ms: z.number().int().min(0) }),
  inputs: {},
  outputs: { text: { kind: 'text' } },
  run: async (ctx, _inputs, params) => {
    await sleep(params.ms, undefined, { signal: ctx.signal });
    return { text: ctx.nodeId };
  },
});

export const benchNodes = [benchNoopNode, benchSleepNode];
/** As a plugin (`tessera worker --plugin ./bench/bench-nodes.ts`), for the benchmarks on separate processes. */
export default benchNodes;

/** input -> `length` bench-noop nodes in a row -> output. */
/** `local`: the nodes run as local activities (cheap nodes), else as regular activities. */
export function chainPipeline(length: number, options: { local?: boolean } = {}): unknown {
  const ids = Array.from({ length }, (_, i) => `n${i}`);
  return {
    format: 'tessera.pipeline/v1',
    name: `bench-chain-${length}${options.local ? '-local' : ''}`,
    nodes: [
      { id: 'in', type: 'input', params: { name: 'text', kind: 'text' } },
      ...ids.map((id) => ({ id, type: 'bench-noop', options: { local: options.local === true } })),
      { id: 'out', type: 'output', params: { name: 'text' } },
    ],
    edges: ['in.value', ...ids.map((id) => `${id}.text`)].map((from, i) => ({ from, to: i < length ? `${ids[i]}.text` : 'out.value' })),
  };
}

/**
 * `length` cheap built-in nodes in sequence (they declare `local`: local activities): json-pick reads a
 * name out of the input JSON, then text-template and join alternate, as bare-workflow.ts bareTextChain does.
 */
export function textChainPipeline(length: number): unknown {
  const ids = Array.from({ length }, (_, i) => `n${i}`);
  const node = (id: string, i: number) =>
    i === 0 ? { id, type: 'json-pick', params: { path: 'patient.name' } }
    : i % 2 ? { id, type: 'text-template', params: { template: 'Dear {{x}},' } }
    : { id, type: 'join', params: { separator: ' ' } };
  const edgesInto = (id: string, i: number) =>
    i === 0 ? [{ from: 'in.value', to: `${id}.json` }]
    : i % 2 ? [{ from: `${ids[i - 1]}.text`, to: `${id}.x` }]
    : [{ from: `${ids[i - 1]}.text`, to: `${id}.items` }, { from: 'n0.text', to: `${id}.items` }];
  return {
    format: 'tessera.pipeline/v1',
    name: `bench-text-chain-${length}`,
    nodes: [
      { id: 'in', type: 'input', params: { name: 'doc', kind: 'json' } },
      ...ids.map(node),
      { id: 'out', type: 'output', params: { name: 'text' } },
    ],
    edges: [...ids.flatMap(edgesInto), { from: `${ids[length - 1]}.text`, to: 'out.value' }],
  };
}

/** `width` independent bench-sleep nodes, each feeding its own output. */
export function fanOutPipeline(width: number, ms: number): unknown {
  const ids = Array.from({ length: width }, (_, i) => `s${i}`);
  return {
    format: 'tessera.pipeline/v1',
    name: `bench-fan-out-${width}`,
    nodes: [
      ...ids.map((id) => ({ id, type: 'bench-sleep', params: { ms } })),
      ...ids.map((id) => ({ id: `out_${id}`, type: 'output', params: { name: id } })),
    ],
    edges: ids.map((id) => ({ from: `${id}.text`, to: `out_${id}.value` })),
  };
}
