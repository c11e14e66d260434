/** The pure built-in nodes, run directly with a minimal fake context (they use none of it). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeContext, NodeDefinition } from '../../engine/node-sdk/define-node.ts';
import { NodeError } from '../../engine/node-sdk/define-node.ts';
import { joinNode } from '../../nodes/join/index.ts';
import { jsonPickNode } from '../../nodes/json-pick/index.ts';
import { parsePath, readPath } from '../../nodes/common/json-path.ts';
import { textTemplateNode } from '../../nodes/text-template/index.ts';
import { renderTemplate, templatePlaceholders } from '../../nodes/common/template.ts';

const ctx = {
  runId: 'run-1',
  nodeId: 'node-1',
  attempt: 1,
  providers: {},
  signal: new AbortController().signal,
  progress: () => undefined,
  heartbeat: () => undefined,
} as unknown as NodeContext;

/** Runs a node as the worker does: params parsed by the node's schema first (defaults applied). */
function run(definition: NodeDefinition, inputs: Record<string, unknown>, params: unknown) {
  return definition.run(ctx, inputs, definition.params.parse(params));
}

// ---- text-template -------------------------------------------------------------------------------

test('text-template: each placeholder becomes an "any" input, in order of first use', () => {
  const template = 'Dear {{ name }}, {{data.patient.name}} takes {{data.meds[0]}}. Bye {{name}} {{_x-1}}';
  assert.deepEqual(templatePlaceholders(template), ['name', 'data', '_x-1']);
  assert.deepEqual(textTemplateNode.inputsFor({ template }), {
    name: { kind: 'any' },
    data: { kind: 'any' },
    '_x-1': { kind: 'any' },
  });
  assert.deepEqual(textTemplateNode.inputsFor({ template: 'no placeholders, {single} braces' }), {});
});

test('text-template: renders text, JSON values as JSON, and {{data.field}} paths', async () => {
  const result = await run(
    textTemplateNode,
    {
      name: 'Ana',
      data: { patient: { name: 'Bo', age: 41 }, meds: ['aspirin', 'ibuprofen'], tags: { a: 1 } },
    },
    { template: 'Hi {{name}}! {{ data.patient.name }} ({{data.patient.age}}) takes {{data.meds[1]}}; tags {{data.tags}}.' },
  );
  assert.deepEqual(result, { text: 'Hi Ana! Bo (41) takes ibuprofen; tags {"a":1}.' });
});

test('text-template: a whole JSON value is written as JSON; missing fields and null render empty', async () => {
  assert.equal(renderTemplate('{{v}}', { v: { a: [1, 'x'] } }), '{"a":[1,"x"]}');
  assert.equal(renderTemplate('{{v}}', { v: 3.5 }), '3.5');
  assert.equal(renderTemplate('{{v}}', { v: false }), 'false');
  assert.equal(renderTemplate('[{{v}}]', { v: null }), '[]');
  assert.equal(renderTemplate('[{{v.missing.deep}}]', { v: { a: 1 } }), '[]');
  assert.equal(renderTemplate('[{{v.a}}]', { v: 'not an object' }), '[]');
  assert.equal(renderTemplate('[{{v[5]}}]', { v: [1] }), '[]');
  // Inherited members are not fields.
  assert.equal(renderTemplate('[{{v.constructor}}]', { v: {} }), '[]');
  // Text around and between placeholders is kept as is.
  assert.equal(renderTemplate('{ {{a}}{{b}} }', { a: 'x', b: 'y' }), '{ xy }');
});

// ---- json-pick -----------------------------------------------------------------------------------

test('json-pick: paths with fields and [index] steps', async () => {
  const json = { patient: { name: 'Ana', medications: [{ name: 'aspirin', mg: 100 }, { name: 'insulin' }] }, ok: true };
  assert.deepEqual(await run(jsonPickNode, { json }, { path: 'patient.medications[0].name' }), { value: 'aspirin', text: 'aspirin' });
  assert.deepEqual(await run(jsonPickNode, { json }, { path: 'patient.medications[0].mg' }), { value: 100, text: '100' });
  assert.deepEqual(await run(jsonPickNode, { json }, { path: 'patient.medications[1]' }), {
    value: { name: 'insulin' },
    text: '{"name":"insulin"}',
  });
  assert.deepEqual(await run(jsonPickNode, { json }, { path: 'ok' }), { value: true, text: 'true' });
  // An empty path is the whole value.
  assert.deepEqual(await run(jsonPickNode, { json: [1, 2] }, { path: '' }), { value: [1, 2], text: '[1,2]' });
  // A top-level array.
  assert.deepEqual(await run(jsonPickNode, { json: [{ a: 'x' }] }, { path: '[0].a' }), { value: 'x', text: 'x' });
});

test('json-pick: a missing path is PATH_NOT_FOUND unless required is false', async () => {
  const json = { patient: { name: 'Ana', medications: [] } };
  for (const missing of ['patient.age', 'patient.medications[0]', 'patient.name.first', 'nothing', 'toString', 'patient.constructor']) {
    await assert.rejects(
      run(jsonPickNode, { json }, { path: missing }),
      (err: unknown) => err instanceof NodeError && err.code === 'PATH_NOT_FOUND' && err.message.includes(missing),
      missing,
    );
  }
  assert.deepEqual(await run(jsonPickNode, { json }, { path: 'patient.age', required: false }), { value: null, text: 'null' });
  // A field that exists with the value null is found, not missing.
  assert.deepEqual(await run(jsonPickNode, { json: { a: null } }, { path: 'a' }), { value: null, text: 'null' });
});

test('json-pick path parsing', () => {
  assert.deepEqual(parsePath('a.b[0].c'), ['a', 'b', 0, 'c']);
  assert.deepEqual(parsePath('[2][3]'), [2, 3]);
  assert.deepEqual(parsePath(''), []);
  assert.equal(readPath({ a: [{ b: 'x' }] }, 'a[0].b'), 'x');
  assert.equal(readPath({ a: 1 }, 'a.b'), undefined);
  assert.equal(readPath(null, 'a'), undefined);
});

// ---- join ----------------------------------------------------------------------------------------

test('join: joins items in order with the separator, default a blank line', async () => {
  assert.deepEqual(await run(joinNode, { items: ['a', 'b', 'c'] }, { separator: ' | ' }), { text: 'a | b | c', count: 3 });
  assert.deepEqual(await run(joinNode, { items: ['first', 'second'] }, {}), { text: 'first\n\nsecond', count: 2 });
  assert.deepEqual(await run(joinNode, { items: [] }, {}), { text: '', count: 0 });
  assert.deepEqual(await run(joinNode, { items: ['only'] }, { separator: ', ' }), { text: 'only', count: 1 });
});
