/**
 * Pipeline validation (engine/pipeline/validate.ts) and run-input checks (engine/run/inputs.ts):
 * one test per coded error, each asserting the code and the node/port it names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { CodedError } from '../../engine/errors.ts';
import { defineNode } from '../../engine/node-sdk/define-node.ts';
import { loadPipelineFile } from '../../engine/pipeline/load.ts';
import { validatePipeline, validatePipelineText, type ValidationResult, type ValidPipeline } from '../../engine/pipeline/validate.ts';
import { resolveRunInputs } from '../../engine/run/inputs.ts';
import { createRegistry } from '../../nodes/index.ts';

/** A node with one single-image input, to test list-into-single refusals. */
const imageSink = defineNode({
  type: 'test-image-sink',
  version: 1,
  title: 'Image sink (test)',
  category: 'Test',
  description: 'Takes exactly one image.',
  params: z.object({}),
  inputs: { image: { kind: 'image' } },
  outputs: { text: { kind: 'text' } },
  run: () => ({ text: '' }),
});

const registry = createRegistry([imageSink]);

type Node = { id: string; type: string; version?: number; params?: Record<string, unknown>; [key: string]: unknown };
type Edge = { from: string; to: string };

function pipeline(nodes: Node[], edges: Edge[] = []) {
  return { format: 'tessera.pipeline/v1', name: 'test', nodes, edges };
}

const textIn = (id: string, name = id): Node => ({ id, type: 'input', params: { name, kind: 'text' } });
const jsonIn = (id: string, name = id): Node => ({ id, type: 'input', params: { name, kind: 'json' } });
const out = (id: string, name = id): Node => ({ id, type: 'output', params: { name } });
const pick = (id: string, p = 'a'): Node => ({ id, type: 'json-pick', params: { path: p } });

function errorsOf(result: ValidationResult): CodedError[] {
  assert.equal(result.ok, false, 'expected validation to fail');
  return (result as { ok: false; errors: CodedError[] }).errors;
}

function validOf(result: ValidationResult): ValidPipeline {
  if (!result.ok) assert.fail(`expected a valid pipeline, got ${JSON.stringify(result.errors, null, 2)}`);
  return result.value;
}

/** Asserts that the errors are exactly one with this code, and returns it. */
function only(result: ValidationResult, code: string): CodedError {
  const errors = errorsOf(result);
  assert.deepEqual(
    errors.map((e) => e.code),
    [code],
    `expected exactly one ${code}, got ${JSON.stringify(errors, null, 2)}`,
  );
  return errors[0];
}

const check = (p: unknown) => validatePipeline(p, registry);

// A small valid pipeline: text -> template -> output, and json -> pick -> output.
const greeting = () =>
  pipeline(
    [
      textIn('who'),
      jsonIn('profile'),
      pick('city', 'city'),
      { id: 'hello', type: 'text-template', params: { template: 'Hello {{name}} from {{place}}' } },
      out('result', 'message'),
    ],
    [
      { from: 'who.value', to: 'hello.name' },
      { from: 'profile.value', to: 'city.json' },
      { from: 'city.text', to: 'hello.place' },
      { from: 'hello.text', to: 'result.value' },
    ],
  );

test('a valid pipeline passes and resolves nodes, params and edges', () => {
  const valid = validOf(check(greeting()));
  assert.deepEqual([...valid.nodes.keys()], ['who', 'profile', 'city', 'hello', 'result']);
  assert.equal(valid.nodes.get('city')!.definition.type, 'json-pick');
  // Params are parsed, defaults filled in.
  assert.deepEqual(valid.nodes.get('city')!.params, { path: 'city', required: true });
  // Ports that depend on params are resolved.
  assert.deepEqual(Object.keys(valid.nodes.get('hello')!.inputs), ['name', 'place']);
  assert.equal(valid.nodes.get('who')!.outputs.value.kind, 'text');
  assert.equal(valid.edges.length, 4);
  assert.deepEqual(valid.edges[0].from, { nodeId: 'who', port: 'value' });
  assert.deepEqual(valid.edges[0].to, { nodeId: 'hello', port: 'name' });
  assert.ok(valid.edges.every((e) => e.mode === 'same'));
});

test('FILE_NOT_JSON: text that is not JSON', () => {
  const result = validatePipelineText('{ "format": "tessera.pipeline/v1", ', registry);
  const error = only(result, 'FILE_NOT_JSON');
  assert.match(error.message, /not valid JSON/);
  // Valid JSON text goes on to the other checks.
  validOf(validatePipelineText(JSON.stringify(greeting()), registry));
});

test('FILE_UNREADABLE: a pipeline file that does not exist', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tessera-validate-'));
  try {
    const result = await loadPipelineFile(path.join(dir, 'missing.pipeline.json'), registry);
    const error = only(result, 'FILE_UNREADABLE');
    assert.match(error.message, /no such file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('SCHEMA_INVALID: wrong format string', () => {
  const error = only(check({ ...greeting(), format: 'tessera.pipeline/v2' }), 'SCHEMA_INVALID');
  assert.deepEqual((error.details as { path: unknown[] }).path, ['format']);
  assert.match(error.message, /^format:/);
});

test('SCHEMA_INVALID: missing nodes', () => {
  const { nodes: _nodes, ...rest } = greeting();
  const error = only(check(rest), 'SCHEMA_INVALID');
  assert.deepEqual((error.details as { path: unknown[] }).path, ['nodes']);
});

test('SCHEMA_INVALID: a node id that breaks the id rules names the node', () => {
  const p = greeting();
  p.nodes[2] = { ...p.nodes[2], id: '1st city' };
  const error = only(check(p), 'SCHEMA_INVALID');
  assert.equal(error.nodeId, '1st city');
  assert.deepEqual((error.details as { path: unknown[] }).path, ['nodes', 2, 'id']);
});

test('SCHEMA_INVALID: an unknown key, at the root and on a node', () => {
  const root = only(check({ ...greeting(), colour: 'blue' }), 'SCHEMA_INVALID');
  assert.match(root.message, /colour/);
  assert.equal(root.nodeId, undefined);

  const p = greeting();
  p.nodes[0] = { ...p.nodes[0], paramz: {} };
  const onNode = only(check(p), 'SCHEMA_INVALID');
  assert.equal(onNode.nodeId, 'who');
  assert.match(onNode.message, /paramz/);
});

test('OPTIONS_INVALID: bad execution options name the node and option', () => {
  const p = greeting();
  p.nodes[2] = { ...p.nodes[2], options: { timeout: 'soon' } };
  const error = only(check(p), 'OPTIONS_INVALID');
  assert.equal(error.nodeId, 'city');
  assert.deepEqual((error.details as { path: unknown[] }).path, ['nodes', 2, 'options', 'timeout']);
});

test('DUPLICATE_NODE_ID names the repeated id', () => {
  const p = greeting();
  p.nodes.push(pick('city', 'town'));
  const error = only(check(p), 'DUPLICATE_NODE_ID');
  assert.equal(error.nodeId, 'city');
});

test('DUPLICATE_INPUT_NAME names the second input node', () => {
  const p = pipeline([textIn('a', 'who'), textIn('b', 'who'), out('o1'), out('o2')], [
    { from: 'a.value', to: 'o1.value' },
    { from: 'b.value', to: 'o2.value' },
  ]);
  const error = only(check(p), 'DUPLICATE_INPUT_NAME');
  assert.equal(error.nodeId, 'b');
  assert.match(error.message, /"a"/);
});

test('DUPLICATE_OUTPUT_NAME names the second output node', () => {
  const p = pipeline([textIn('who'), out('o1', 'result'), out('o2', 'result')], [
    { from: 'who.value', to: 'o1.value' },
    { from: 'who.value', to: 'o2.value' },
  ]);
  const error = only(check(p), 'DUPLICATE_OUTPUT_NAME');
  assert.equal(error.nodeId, 'o2');
});

test('UNKNOWN_NODE_TYPE names the node, and its edges add no further errors', () => {
  const p = pipeline([textIn('who'), { id: 'magic', type: 'no-such-type' }, out('result')], [
    { from: 'who.value', to: 'magic.text' },
    { from: 'magic.text', to: 'result.value' },
  ]);
  const error = only(check(p), 'UNKNOWN_NODE_TYPE');
  assert.equal(error.nodeId, 'magic');
});

test('UNKNOWN_NODE_VERSION names the node and lists the known versions', () => {
  const p = greeting();
  p.nodes[2] = { ...p.nodes[2], version: 7 };
  const error = only(check(p), 'UNKNOWN_NODE_VERSION');
  assert.equal(error.nodeId, 'city');
  assert.match(error.message, /known: 1/);
  // The existing version, pinned, is fine.
  p.nodes[2] = { ...p.nodes[2], version: 1 };
  validOf(check(p));
});

test('UNKNOWN_NODE: an edge from or to a node that does not exist', () => {
  const p = greeting();
  p.edges.push({ from: 'ghost.text', to: 'result.value' });
  const from = only(check(p), 'UNKNOWN_NODE');
  assert.match(from.message, /"ghost"/);
  assert.deepEqual((from.details as { edge: Edge }).edge, { from: 'ghost.text', to: 'result.value' });

  const q = greeting();
  q.edges.push({ from: 'who.value', to: 'phantom.in' });
  const to = only(check(q), 'UNKNOWN_NODE');
  assert.match(to.message, /"phantom"/);
});

test('UNKNOWN_PORT: an output port the source node does not have', () => {
  const p = greeting();
  p.edges[3] = { from: 'hello.txt', to: 'result.value' };
  const error = only(check(p), 'UNKNOWN_PORT');
  assert.equal(error.nodeId, 'hello');
  assert.equal(error.port, 'txt');
  assert.match(error.message, /no output port "txt" \(outputs: text\)/);
});

test('UNKNOWN_PORT: an input port the target node does not have', () => {
  const p = greeting();
  p.edges[1] = { from: 'profile.value', to: 'city.data' };
  const errors = errorsOf(check(p));
  assert.deepEqual(errors.map((e) => e.code), ['UNKNOWN_PORT', 'REQUIRED_INPUT_MISSING']);
  assert.equal(errors[0].nodeId, 'city');
  assert.equal(errors[0].port, 'data');
  assert.match(errors[0].message, /no input port "data" \(inputs: json\)/);
  // The real input really is unconnected now.
  assert.equal(errors[1].port, 'json');
});

test('UNKNOWN_PORT: names inherited from Object.prototype are not ports', () => {
  // Regression: "toString" and "constructor" used to resolve through the prototype chain
  // (an edge from who.toString validated; one into result.constructor crashed validation).
  const fromProto = greeting();
  fromProto.edges[3] = { from: 'hello.toString', to: 'result.value' };
  const a = only(check(fromProto), 'UNKNOWN_PORT');
  assert.equal(a.nodeId, 'hello');
  assert.equal(a.port, 'toString');

  const intoProto = greeting();
  intoProto.edges.push({ from: 'who.value', to: 'result.constructor' });
  const b = only(check(intoProto), 'UNKNOWN_PORT');
  assert.equal(b.nodeId, 'result');
  assert.equal(b.port, 'constructor');
});

test('BAD_EDGE_ENDPOINT: an endpoint without "node.port"', () => {
  for (const edge of [
    { from: 'who', to: 'hello.name' },
    { from: 'who.value', to: 'hello.' },
    { from: '.value', to: 'hello.name' },
  ]) {
    const p = greeting();
    p.edges[0] = edge;
    const errors = errorsOf(check(p));
    assert.equal(errors[0].code, 'BAD_EDGE_ENDPOINT', JSON.stringify(edge));
    assert.deepEqual((errors[0].details as { edge: Edge }).edge, edge);
  }
});

test('INCOMPATIBLE_PORTS: text into json is refused, naming the input', () => {
  const p = greeting();
  p.edges[1] = { from: 'who.value', to: 'city.json' };
  const error = only(check(p), 'INCOMPATIBLE_PORTS');
  assert.equal(error.nodeId, 'city');
  assert.equal(error.port, 'json');
  assert.deepEqual(error.details, { from: 'text', to: 'json' });
});

test('INCOMPATIBLE_PORTS: image[] into a single image is refused', () => {
  const p = pipeline(
    [{ id: 'photos', type: 'input', params: { name: 'photos', kind: 'image[]' } }, { id: 'see', type: 'test-image-sink' }],
    [{ from: 'photos.value', to: 'see.image' }],
  );
  const error = only(check(p), 'INCOMPATIBLE_PORTS');
  assert.equal(error.nodeId, 'see');
  assert.equal(error.port, 'image');
  assert.match(error.message, /list/);
  // One image into it is fine.
  const q = pipeline(
    [{ id: 'photo', type: 'input', params: { name: 'photo', kind: 'image' } }, { id: 'see', type: 'test-image-sink' }],
    [{ from: 'photo.value', to: 'see.image' }],
  );
  validOf(check(q));
});

test('INPUT_ALREADY_CONNECTED: two edges into a single-valued input', () => {
  const p = greeting();
  p.nodes.push(jsonIn('extra'));
  p.edges.push({ from: 'extra.value', to: 'city.json' });
  const error = only(check(p), 'INPUT_ALREADY_CONNECTED');
  assert.equal(error.nodeId, 'city');
  assert.equal(error.port, 'json');
});

test('REQUIRED_INPUT_MISSING names the node and the unconnected port', () => {
  const p = greeting();
  p.edges.splice(2, 1); // city.text -> hello.place
  const error = only(check(p), 'REQUIRED_INPUT_MISSING');
  assert.equal(error.nodeId, 'hello');
  assert.equal(error.port, 'place');
});

test('an input fed by a rejected edge is not also reported as missing', () => {
  // Regression: an edge refused (or coming from an invalid node) used to leave its target counted as
  // unconnected, so the one mistake produced a second REQUIRED_INPUT_MISSING.
  const p = pipeline([{ id: 'x', type: 'no-such-type' }, out('result')], [{ from: 'x.text', to: 'result.value' }]);
  only(check(p), 'UNKNOWN_NODE_TYPE');
});

test('CYCLE: names a node on the cycle and lists it', () => {
  const p = pipeline(
    [
      { id: 'a', type: 'text-template', params: { template: '{{x}}' } },
      { id: 'b', type: 'text-template', params: { template: '{{y}}' } },
      out('result'),
    ],
    [
      { from: 'a.text', to: 'b.y' },
      { from: 'b.text', to: 'a.x' },
      { from: 'b.text', to: 'result.value' },
    ],
  );
  const error = only(check(p), 'CYCLE');
  assert.ok(error.nodeId === 'a' || error.nodeId === 'b');
  const cycle = (error.details as { cycle: string[] }).cycle;
  assert.equal(cycle[0], cycle.at(-1));
  assert.deepEqual(new Set(cycle), new Set(['a', 'b']));

  const self = pipeline([{ id: 'loop', type: 'text-template', params: { template: '{{x}}' } }], [{ from: 'loop.text', to: 'loop.x' }]);
  const selfError = only(check(self), 'CYCLE');
  assert.equal(selfError.nodeId, 'loop');
});

test('PARAMS_INVALID names the node and the param path', () => {
  const p = greeting();
  p.nodes[2] = { id: 'city', type: 'json-pick', params: { path: 42 } };
  const error = only(check(p), 'PARAMS_INVALID');
  assert.equal(error.nodeId, 'city');
  assert.deepEqual((error.details as { path: unknown[] }).path, ['path']);

  const q = greeting();
  q.nodes[0] = { id: 'who', type: 'input', params: { name: 'who', kind: 'video' } };
  const kind = only(check(q), 'PARAMS_INVALID');
  assert.equal(kind.nodeId, 'who');
  assert.deepEqual((kind.details as { path: unknown[] }).path, ['kind']);
});

test('several errors are all reported at once', () => {
  const p = pipeline(
    [
      textIn('who'),
      textIn('who'),
      { id: 'magic', type: 'no-such-type' },
      { id: 'city', type: 'json-pick', params: {} },
      { id: 'hello', type: 'text-template', params: { template: '{{name}}' } },
      out('result'),
    ],
    [
      { from: 'who.value', to: 'hello.nome' },
      { from: 'hello.text', to: 'result.value' },
      { from: 'nobody.text', to: 'result.value' },
    ],
  );
  const errors = errorsOf(check(p));
  const byCode = new Map(errors.map((e) => [e.code, e]));
  for (const code of ['DUPLICATE_NODE_ID', 'UNKNOWN_NODE_TYPE', 'PARAMS_INVALID', 'UNKNOWN_PORT', 'UNKNOWN_NODE', 'REQUIRED_INPUT_MISSING']) {
    assert.ok(byCode.has(code as CodedError['code']), `missing ${code} in ${JSON.stringify(errors, null, 2)}`);
  }
  assert.equal(byCode.get('DUPLICATE_NODE_ID')!.nodeId, 'who');
  assert.equal(byCode.get('UNKNOWN_NODE_TYPE')!.nodeId, 'magic');
  assert.equal(byCode.get('PARAMS_INVALID')!.nodeId, 'city');
  assert.equal(byCode.get('UNKNOWN_PORT')!.port, 'nome');
  assert.equal(byCode.get('REQUIRED_INPUT_MISSING')!.port, 'name');
});

test('list inputs accept several edges; a single value into a list input is wrapped', () => {
  const p = pipeline(
    [
      textIn('a'),
      textIn('b'),
      { id: 'many', type: 'input', params: { name: 'many', kind: 'text[]' } },
      { id: 'both', type: 'join', params: { separator: ' ' } },
      out('result'),
    ],
    [
      { from: 'a.value', to: 'both.items' },
      { from: 'many.value', to: 'both.items' },
      { from: 'b.value', to: 'both.items' },
      { from: 'both.text', to: 'result.value' },
    ],
  );
  const valid = validOf(check(p));
  const into = valid.edges.filter((e) => e.to.nodeId === 'both' && e.to.port === 'items');
  assert.deepEqual(
    into.map((e) => [e.from.nodeId, e.mode]),
    [
      ['a', 'wrap'],
      ['many', 'same'],
      ['b', 'wrap'],
    ],
  );
});

// ---- run inputs -------------------------------------------------------------------------------

function greetingWithDefaults(): ValidPipeline {
  return validOf(
    check(
      pipeline(
        [
          textIn('who'),
          { id: 'profile', type: 'input', params: { name: 'profile', kind: 'json', default: { city: 'Lisbon' } } },
          { id: 'photo', type: 'input', params: { name: 'photo', kind: 'image', default: undefined } },
          out('o1'),
          out('o2'),
          out('o3'),
        ],
        [
          { from: 'who.value', to: 'o1.value' },
          { from: 'profile.value', to: 'o2.value' },
          { from: 'photo.value', to: 'o3.value' },
        ],
      ),
    ),
  );
}

const png = { sha256: 'a'.repeat(64), mime: 'image/png', size: 10 };

test('resolveRunInputs: given values plus defaults pass', () => {
  const result = resolveRunInputs(greetingWithDefaults(), { who: 'Ana', photo: png });
  assert.deepEqual(result, { ok: true, inputs: { who: 'Ana', profile: { city: 'Lisbon' }, photo: png } });
});

test('resolveRunInputs: null is a real JSON value, not a missing one', () => {
  const result = resolveRunInputs(greetingWithDefaults(), { who: 'Ana', profile: null, photo: png });
  assert.deepEqual(result, { ok: true, inputs: { who: 'Ana', profile: null, photo: png } });
});

test('RUN_INPUT_MISSING names the input node', () => {
  const result = resolveRunInputs(greetingWithDefaults(), { photo: png });
  assert.equal(result.ok, false);
  const errors = (result as { errors: CodedError[] }).errors;
  assert.deepEqual(errors.map((e) => e.code), ['RUN_INPUT_MISSING']);
  assert.equal(errors[0].nodeId, 'who');
  assert.deepEqual(errors[0].details, { input: 'who' });
});

test('RUN_INPUT_MISSING: an input named like an Object.prototype member is still missing', () => {
  // Regression: given["constructor"] used to find Object's constructor function.
  const valid = validOf(check(pipeline([jsonIn('c', 'constructor'), out('o')], [{ from: 'c.value', to: 'o.value' }])));
  const result = resolveRunInputs(valid, {});
  assert.equal(result.ok, false);
  assert.deepEqual((result as { errors: CodedError[] }).errors.map((e) => e.code), ['RUN_INPUT_MISSING']);
});

test('RUN_INPUT_UNKNOWN names the unknown input', () => {
  const result = resolveRunInputs(greetingWithDefaults(), { who: 'Ana', photo: png, city: 'Porto' });
  assert.equal(result.ok, false);
  const errors = (result as { errors: CodedError[] }).errors;
  assert.deepEqual(errors.map((e) => e.code), ['RUN_INPUT_UNKNOWN']);
  assert.deepEqual(errors[0].details, { input: 'city' });
  assert.match(errors[0].message, /inputs: who, profile, photo/);
});

test('RUN_INPUT_INVALID: wrong kinds name the input node', () => {
  const result = resolveRunInputs(greetingWithDefaults(), { who: 42, photo: { ...png, mime: 'text/plain' } });
  assert.equal(result.ok, false);
  const errors = (result as { errors: CodedError[] }).errors;
  assert.deepEqual(errors.map((e) => [e.code, e.nodeId]), [
    ['RUN_INPUT_INVALID', 'who'],
    ['RUN_INPUT_INVALID', 'photo'],
  ]);
  assert.match(errors[0].message, /got a number/);
  assert.match(errors[1].message, /not an image/);

  const notARef = resolveRunInputs(greetingWithDefaults(), { who: 'Ana', photo: 'cat.png' });
  assert.equal(notARef.ok, false);
  assert.match((notARef as { errors: CodedError[] }).errors[0].message, /blob reference/);
});

test('run input errors are all reported at once', () => {
  const result = resolveRunInputs(greetingWithDefaults(), { where: 'x', photo: 1 });
  assert.equal(result.ok, false);
  assert.deepEqual(
    (result as { errors: CodedError[] }).errors.map((e) => e.code),
    ['RUN_INPUT_UNKNOWN', 'RUN_INPUT_MISSING', 'RUN_INPUT_INVALID'],
  );
});
