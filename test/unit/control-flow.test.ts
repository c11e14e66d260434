/**
 * The pure parts of control flow: branch conditions, a mapped node's ports and their validation
 * (MAP_INVALID), which nodes a branch not taken skips, and which value a merge takes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conditionHolds } from '../../nodes/branch/index.ts';
import { mappedInputs, mappedOutputs } from '../../engine/pipeline/map-ports.ts';
import { validatePipeline } from '../../engine/pipeline/validate.ts';
import { createRegistry } from '../../nodes/index.ts';
import { firstArrived, isSkipped, readyNodes } from '../../workflows/dag.ts';
import { combineItems } from '../../workflows/map-items.ts';
import { editedValueProblem } from '../../workflows/approval.ts';
import type { PlanNode } from '../../engine/run/plan.ts';

const json = (op: string, extra: Record<string, unknown> = {}) => ({ kind: 'json' as const, path: 'score', op: op as never, ignoreCase: false, ...extra });

test('branch conditions on JSON fields and on text', () => {
  const doc = { score: 0.7, tags: ['urgent'], name: 'Ada' };
  assert.equal(conditionHolds(json('greater', { value: 0.5 }), doc), true);
  assert.equal(conditionHolds(json('less', { value: 0.5 }), doc), false);
  assert.equal(conditionHolds(json('greater', { value: '0.5' }), doc), false, 'a number is not compared with a string');
  assert.equal(conditionHolds(json('equals', { path: 'tags', value: ['urgent'] }), doc), true);
  assert.equal(conditionHolds(json('contains', { path: 'tags', value: 'urgent' }), doc), true);
  assert.equal(conditionHolds(json('exists', { path: 'missing' }), doc), false);
  assert.equal(conditionHolds(json('missing', { path: 'missing' }), doc), true);
  assert.equal(conditionHolds(json('truthy', { path: 'tags' }), { tags: [] }), false, 'an empty list is not truthy');
  const schema = { type: 'object', required: ['name'], properties: { score: { type: 'number', minimum: 0.5 } } };
  assert.equal(conditionHolds(json('schema', { path: '', schema }), doc), true);
  assert.equal(conditionHolds(json('schema', { path: '', schema }), { score: 0.7 }), false);
  const text = (op: string, extra: Record<string, unknown> = {}) => ({ kind: 'text' as const, path: '', op: op as never, ignoreCase: false, ...extra });
  assert.equal(conditionHolds(text('contains', { value: 'URGENT' }), 'this is urgent'), false);
  assert.equal(conditionHolds(text('contains', { value: 'URGENT', ignoreCase: true }), 'this is urgent'), true);
  assert.equal(conditionHolds(text('matches', { pattern: '^\\d{3}-\\d{4}$' }), '555-1234'), true);
  assert.equal(conditionHolds(text('matches', { pattern: '^\\d{3}-\\d{4}$' }), 'call 555-1234'), false);
});

test('branch params that cannot work are refused at validation, naming the node', () => {
  const registry = createRegistry();
  const doc = (params: Record<string, unknown>) => ({
    format: 'tessera.pipeline/v1',
    name: 'b',
    nodes: [
      { id: 'in', type: 'input', params: { name: 'v', kind: 'text' } },
      { id: 'b', type: 'branch', params: { kind: 'text', ...params } },
    ],
    edges: [{ from: 'in.value', to: 'b.value' }],
  });
  for (const [params, message] of [
    [{ op: 'greater', value: 1 }, /does not apply to text/],
    [{ op: 'matches', pattern: '(' }, /not a regular expression/],
    [{ op: 'contains' }, /needs a "value"/],
  ] as const) {
    const result = validatePipeline(doc(params), registry);
    assert.equal(result.ok, false);
    const error = !result.ok ? result.errors[0] : undefined;
    assert.equal(error?.code, 'PARAMS_INVALID');
    assert.equal(error?.nodeId, 'b');
    assert.match(error!.message, message);
  }
  assert.equal(validatePipeline(doc({ op: 'contains', value: 'x' }), registry).ok, true);
});

test('a mapped node takes a list on its port and gives lists; lists are concatenated, itemErrors added', () => {
  const inputs = { image: { kind: 'image' as const }, prompt: { kind: 'text' as const } };
  const outputs = { text: { kind: 'text' as const }, pages: { kind: 'text[]' as const } };
  assert.deepEqual(mappedInputs(inputs, { port: 'image' }).image.kind, 'image[]');
  assert.deepEqual(mappedInputs(inputs, { port: 'image' }).prompt.kind, 'text');
  const mapped = mappedOutputs(outputs, { port: 'image', onItemError: 'continue' });
  assert.deepEqual(Object.fromEntries(Object.entries(mapped).map(([k, v]) => [k, v.kind])), { text: 'text[]', pages: 'text[]', itemErrors: 'json' });

  const map = { port: 'image', concurrency: 2, onItemError: 'continue' as const, outputs: ['text', 'pages'], concat: ['pages'] };
  const combined = combineItems(map, [
    { ok: true, outputs: { text: 'a', pages: ['a1', 'a2'] }, attempt: 1, cached: true },
    { ok: false, code: 'MEDIA_CORRUPT', message: 'bad', attempt: 1 },
    { ok: true, outputs: { text: 'c', pages: ['c1'] }, attempt: 2 },
  ]);
  assert.deepEqual(combined.outputs, { text: ['a', 'c'], pages: ['a1', 'a2', 'c1'], itemErrors: [{ index: 1, code: 'MEDIA_CORRUPT', message: 'bad' }] });
  assert.equal(combined.attempt, 2);
  assert.equal(combined.cached, undefined, 'not every item came from the cache');
});

test('map problems are MAP_INVALID on the node and port', () => {
  const registry = createRegistry();
  const doc = (node: Record<string, unknown>) => ({
    format: 'tessera.pipeline/v1',
    name: 'm',
    nodes: [{ id: 'in', type: 'input', params: { name: 'v', kind: 'text[]' } }, { id: 'n', ...node }],
    edges: [],
  });
  const problems = [
    [{ type: 'join', map: { port: 'items' } }, /already a list/],
    [{ type: 'json-pick', params: { path: 'a' }, map: { port: 'nope' } }, /no such input/],
    [{ type: 'output', params: { name: 'o' }, map: { port: 'value' } }, /only task nodes/],
  ] as const;
  for (const [node, message] of problems) {
    const result = validatePipeline(doc(node), registry);
    const error = !result.ok ? result.errors.find((e) => e.code === 'MAP_INVALID') : undefined;
    assert.ok(error, JSON.stringify(result));
    assert.equal(error.nodeId, 'n');
    assert.match(error.message, message);
  }
  const wired = { ...doc({ type: 'text-template', params: { template: '<{{t}}>' }, map: { port: 't' } }), edges: [{ from: 'in.value', to: 'n.t' }] };
  assert.equal(validatePipeline(wired, registry).ok, true, 'a text list into a mapped text input');
  const unmapped = { ...doc({ type: 'text-template', params: { template: '<{{t}}>' } }), edges: [{ from: 'in.value', to: 'n.t' }] };
  assert.equal(validatePipeline(unmapped, registry).ok, true, 'templates take any value, so this one is fine unmapped too');
  const notAList = { ...doc({ type: 'text-template', params: { template: '<{{t}}>' }, map: { port: 't' } }), nodes: [{ id: 'in', type: 'input', params: { name: 'v', kind: 'text' } }, { id: 'n', type: 'text-template', params: { template: '<{{t}}>' }, map: { port: 't' } }], edges: [{ from: 'in.value', to: 'n.t' }] };
  const refused = validatePipeline(notAList, registry);
  assert.match(!refused.ok ? refused.errors[0].message : '', /needs a list there, not a text/, 'an untyped mapped input needs a list wired in');
  const single = { ...doc({ type: 'json-pick', params: { path: 'a' } }), nodes: [{ id: 'in', type: 'input', params: { name: 'v', kind: 'json[]' } }, { id: 'n', type: 'json-pick', params: { path: 'a' } }], edges: [{ from: 'in.value', to: 'n.json' }] };
  assert.equal(validatePipeline(single, registry).ok, false, 'a list into a single input needs the explicit map');
});

const node = (id: string, sources: [string, string][], extra: Partial<PlanNode> = {}): PlanNode => ({
  id,
  type: 't',
  version: 1,
  role: 'task',
  params: {},
  inputs: [{ port: 'in', list: false, sources: sources.map(([nodeId, port]) => ({ nodeId, port, mode: 'same' as const })) }],
  activity: { taskQueue: 'q', startToCloseTimeout: '1m', retry: { maximumAttempts: 1, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1s' } },
  ...extra,
});

test('a branch not taken skips what follows; a merge takes the first value that came', () => {
  const values = new Map<string, Record<string, unknown>>([['b', { then: 'v' }]]);
  const s = { values, skipped: new Set<string>(), control: new Set(['b', 'm']) };
  assert.equal(isSkipped(node('yes', [['b', 'then']]), s), false);
  assert.equal(isSkipped(node('no', [['b', 'else']]), s), true);
  const afterNo = { ...s, skipped: new Set(['no']) };
  assert.equal(isSkipped(node('later', [['no', 'out']]), afterNo), true, 'skipping flows downstream');

  const merge = node('m', [['slow', 'out'], ['fast', 'out']], { control: 'merge', role: 'control' });
  const partial = { values: new Map([['fast', { out: 'F' }]]), skipped: new Set<string>(), control: new Set(['m']) };
  assert.deepEqual(readyNodes([merge], new Set(), partial).map((n) => n.id), ['m'], 'ready as soon as one source has a value');
  const both = { values: new Map([['fast', { out: 'F' }], ['slow', { out: 'S' }]]), skipped: new Set<string>(), control: new Set(['m']) };
  assert.equal(firstArrived(merge, both, ['fast', 'slow']), 'F');
  assert.equal(firstArrived(merge, both, ['slow', 'fast']), 'S');
  const none = { values: new Map<string, Record<string, unknown>>(), skipped: new Set(['fast', 'slow']), control: new Set(['m']) };
  assert.equal(isSkipped(merge, none), true, 'a merge with no value arriving is skipped');
});

test('an approval\'s edited value must fit its kind', () => {
  assert.equal(editedValueProblem('json', { any: 'thing' }), undefined);
  assert.match(editedValueProblem('text', 3)!, /a string/);
  assert.match(editedValueProblem('text[]', 'x')!, /a list/);
  assert.match(editedValueProblem('image', { url: 'x' })!, /blob reference/);
  assert.equal(editedValueProblem('image', { sha256: 'a'.repeat(64), mime: 'image/png', size: 1 }), undefined);
});
