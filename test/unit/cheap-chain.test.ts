/**
 * Which cheap nodes run together in one local activity (workflows/cheap-chain.ts): the ready node and the
 * cheap nodes that read only from it, from each other and from nodes that finished; never flow nodes, maps,
 * pins, regular activities, nodes already started or failed in an earlier chain.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainRequest, cheapChain, MAX_CHAIN_NODES } from '../../workflows/cheap-chain.ts';
import type { Settled } from '../../workflows/dag.ts';
import type { PlanNode, RunNodeRequest } from '../../engine/run/plan.ts';

const activity = { taskQueue: 'q', startToCloseTimeout: '30s', retry: { maximumAttempts: 3, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } };

/** A node reading `from` ("node.port", in order) into its `in` port; cheap unless said otherwise. */
function node(id: string, from: string[] = [], extra: Partial<PlanNode> & { regular?: boolean; list?: boolean } = {}): PlanNode {
  const { regular, list, ...rest } = extra;
  return {
    id,
    type: 'text-template',
    version: 1,
    role: 'task',
    params: {},
    inputs: [{ port: 'in', list: !!list, optional: false, sources: from.map((f) => ({ nodeId: f.split('.')[0], port: f.split('.')[1], mode: 'wrap' as const })) }],
    activity: regular ? activity : { ...activity, local: true },
    ...rest,
  } as PlanNode;
}

const settled = (values: Record<string, Record<string, unknown>> = {}, control: string[] = []): Settled => ({
  values: new Map(Object.entries(values)),
  skipped: new Set(),
  control: new Set(control),
});
const ids = (chain: PlanNode[]) => chain.map((n) => n.id);

test('a line of cheap nodes is one chain, in the order they run, whatever the order of the plan', () => {
  const nodes = [node('c', ['b.out']), node('a', ['in.value']), node('b', ['a.out'])];
  assert.deepEqual(ids(cheapChain(nodes[1], nodes, new Set(['in']), settled({ in: { value: 'x' } }), new Set())), ['a', 'b', 'c']);
});

test('fan-out and fan-in join the chain once every source is in it or finished', () => {
  const nodes = [node('a', ['in.value']), node('b', ['a.out']), node('c', ['a.out']), node('d', ['b.out', 'c.out', 'in.value'], { list: true })];
  assert.deepEqual(ids(cheapChain(nodes[0], nodes, new Set(['in']), settled({ in: { value: 'x' } }), new Set())), ['a', 'b', 'c', 'd']);
  // A source still running elsewhere (not finished, not in the chain) keeps the node out.
  const waits = [...nodes.slice(0, 3), node('d', ['b.out', 'slow.out'], { list: true })];
  assert.deepEqual(ids(cheapChain(waits[0], waits, new Set(['in', 'slow']), settled({ in: { value: 'x' } }), new Set())), ['a', 'b', 'c']);
});

test('regular activities, flow nodes, maps, pins, started and excluded nodes stay out, and so does what follows them', () => {
  const s = settled({ in: { value: 'x' } });
  const after = (extra: Partial<PlanNode> & { regular?: boolean }) => {
    const nodes = [node('a', ['in.value']), node('b', ['a.out'], extra), node('c', ['b.out'])];
    return ids(cheapChain(nodes[0], nodes, new Set(['in']), s, new Set()));
  };
  assert.deepEqual(after({ regular: true }), ['a']);
  assert.deepEqual(after({ control: 'branch' }), ['a']);
  assert.deepEqual(after({ map: { port: 'in', concurrency: 2, onItemError: 'fail', outputs: ['out'], concat: [] } }), ['a']);
  assert.deepEqual(after({ pinned: { out: 'given' } }), ['a']);
  const nodes = [node('a', ['in.value']), node('b', ['a.out']), node('c', ['b.out'])];
  assert.deepEqual(ids(cheapChain(nodes[0], nodes, new Set(['in', 'b']), s, new Set())), ['a'], 'b already started');
  assert.deepEqual(ids(cheapChain(nodes[0], nodes, new Set(['in']), s, new Set(['b']))), ['a'], 'b failed in a chain before');
});

test('a node reading a flow node (whose missing output means "skip") is left to the workflow', () => {
  const nodes = [node('a', ['in.value']), node('b', ['a.out', 'route.then'], { list: true })];
  const s = settled({ in: { value: 'x' }, route: { then: 'y' } }, ['route']);
  assert.deepEqual(ids(cheapChain(nodes[0], nodes, new Set(['in', 'route']), s, new Set())), ['a']);
});

test(`a chain holds at most ${MAX_CHAIN_NODES} nodes`, () => {
  const nodes = Array.from({ length: MAX_CHAIN_NODES + 10 }, (_, i) => node(`n${i}`, [i === 0 ? 'in.value' : `n${i - 1}.out`]));
  assert.equal(cheapChain(nodes[0], nodes, new Set(['in']), settled({ in: { value: 'x' } }), new Set()).length, MAX_CHAIN_NODES);
});

test('the request carries each node without inputs, and only the outside values the chain reads', () => {
  const nodes = [node('a', ['in.value']), node('b', ['a.out', 'other.text'], { list: true })];
  const values = new Map<string, Record<string, unknown>>([
    ['in', { value: 'x' }],
    ['other', { text: 't', big: 'not read' }],
    ['unrelated', { value: 'no' }],
  ]);
  const requestFor = (n: PlanNode): RunNodeRequest => ({ nodeId: n.id, type: n.type, version: n.version, params: n.params, inputs: { in: 'gathered' } });
  const request = chainRequest(nodes, requestFor, values);
  assert.deepEqual(request.values, { in: { value: 'x' }, other: { text: 't' } });
  assert.deepEqual(request.nodes.map((n) => [n.request.nodeId, n.request.inputs]), [['a', {}], ['b', {}]]);
  assert.equal(request.nodes[1].inputs, nodes[1].inputs);
});
