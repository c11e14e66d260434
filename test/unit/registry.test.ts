/** NodeRegistry: versions, duplicates, the catalog, and no shared state between registries. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { TesseraError } from '../../engine/errors.ts';
import { defineNode } from '../../engine/node-sdk/define-node.ts';
import { NodeRegistry } from '../../engine/node-sdk/registry.ts';
import { validatePipeline } from '../../engine/pipeline/validate.ts';
import { builtinNodes, createRegistry } from '../../nodes/index.ts';

const greetV1 = defineNode({
  type: 'test-greet',
  version: 1,
  title: 'Greet v1',
  category: 'Test',
  description: 'First version: output "text".',
  params: z.object({ greeting: z.string().default('Hello') }),
  inputs: { name: { kind: 'text' } },
  outputs: { text: { kind: 'text' } },
  run: (_ctx, inputs, params) => ({ text: `${params.greeting}, ${inputs.name}` }),
});

const greetV2 = defineNode({
  type: 'test-greet',
  version: 2,
  title: 'Greet v2',
  category: 'Test',
  description: 'Second version: output renamed to "greeting", params gain "punctuation".',
  params: z.object({ greeting: z.string().default('Hello'), punctuation: z.enum(['.', '!']) }),
  inputs: { name: { kind: 'text' } },
  outputs: { greeting: { kind: 'text' } },
  run: (_ctx, inputs, params) => ({ greeting: `${params.greeting}, ${inputs.name}${params.punctuation}` }),
});

test('registering the same type and version twice is refused', () => {
  const registry = new NodeRegistry([greetV1]);
  const copy = defineNode({ ...greetV1Spec(), title: 'Impostor' });
  assert.throws(
    () => registry.register(copy),
    (err: unknown) => err instanceof TesseraError && err.code === 'DUPLICATE_NODE_DEFINITION' && /test-greet.*version 1/.test(err.message),
  );
  // The original stays registered.
  assert.equal(registry.get('test-greet', 1)?.title, 'Greet v1');
  // Also through the constructor and createRegistry.
  assert.throws(() => new NodeRegistry([greetV1, greetV1]), { code: 'DUPLICATE_NODE_DEFINITION' });
  assert.throws(() => createRegistry([builtinNodes[0]]), { code: 'DUPLICATE_NODE_DEFINITION' });
});

function greetV1Spec() {
  return {
    type: 'test-greet',
    version: 1,
    title: 'Greet v1',
    category: 'Test',
    description: 'copy',
    params: z.object({}),
    inputs: {},
    outputs: {},
    run: () => ({}),
  };
}

test('the latest version is the default; old versions stay resolvable by number', () => {
  const registry = new NodeRegistry([greetV2, greetV1]); // registration order does not matter
  assert.equal(registry.get('test-greet'), greetV2);
  assert.equal(registry.get('test-greet', 1), greetV1);
  assert.equal(registry.get('test-greet', 2), greetV2);
  assert.equal(registry.get('test-greet', 3), undefined);
  assert.equal(registry.get('no-such-type'), undefined);
  assert.deepEqual(registry.versionsOf('test-greet'), [1, 2]);
  assert.deepEqual(registry.versionsOf('no-such-type'), []);
  assert.equal(registry.hasType('test-greet'), true);
  assert.equal(registry.all().length, 2);
});

test('a pipeline pinned to an old version validates against that version', () => {
  const registry = createRegistry([greetV1, greetV2]);
  const doc = (version?: number) => ({
    format: 'tessera.pipeline/v1',
    name: 'greet',
    nodes: [
      { id: 'who', type: 'input', params: { name: 'who', kind: 'text' } },
      { id: 'greet', type: 'test-greet', ...(version ? { version } : {}), params: {} },
      { id: 'out', type: 'output', params: { name: 'out' } },
    ],
    edges: [
      { from: 'who.value', to: 'greet.name' },
      { from: 'greet.text', to: 'out.value' },
    ],
  });
  const pinned = validatePipeline(doc(1), registry);
  assert.equal(pinned.ok, true, JSON.stringify(pinned));
  assert.equal(pinned.ok && pinned.value.nodes.get('greet')!.definition.version, 1);

  // Unpinned means latest (v2): "text" is gone and "punctuation" is required.
  const latest = validatePipeline(doc(), registry);
  assert.equal(latest.ok, false);
  assert.deepEqual(
    (latest as { errors: { code: string }[] }).errors.map((e) => e.code),
    ['PARAMS_INVALID'],
  );
});

test('the catalog lists every version with its params JSON Schema', () => {
  const registry = createRegistry([greetV1, greetV2]);
  const catalog = registry.catalog();
  const greet = catalog.filter((e) => e.type === 'test-greet');
  assert.deepEqual(
    greet.map((e) => [e.version, e.latest]),
    [
      [1, false],
      [2, true],
    ],
  );
  const v2 = greet[1].paramsSchema as { type: string; properties: Record<string, { type?: string; enum?: unknown[] }>; required?: string[] };
  assert.equal(v2.type, 'object');
  assert.deepEqual(Object.keys(v2.properties).sort(), ['greeting', 'punctuation']);
  assert.deepEqual(v2.properties.punctuation.enum, ['.', '!']);
  // Params with defaults are optional in the form (input side of the schema).
  assert.deepEqual(v2.required, ['punctuation']);
  assert.deepEqual(greet[1].outputs, { greeting: { kind: 'text' } });
  assert.equal(greet[1].execution.startToCloseTimeout, '5m');

  // Every built-in appears with an object params schema; dynamic ports show as null.
  for (const definition of builtinNodes) {
    const entry = catalog.find((e) => e.type === definition.type && e.version === definition.version);
    assert.ok(entry, definition.type);
    assert.equal((entry.paramsSchema as { type?: string }).type, 'object', definition.type);
  }
  const template = catalog.find((e) => e.type === 'text-template')!;
  assert.equal(template.inputs, null);
  assert.deepEqual(template.outputs, { text: { kind: 'text' } });
  // Sorted by type, then version.
  const keys = catalog.map((e) => `${e.type}@${e.version}`);
  assert.deepEqual(keys, [...keys].sort((a, b) => a.localeCompare(b)));
});

test('two registries do not share state', () => {
  const a = createRegistry();
  const b = createRegistry();
  a.register(greetV1);
  assert.equal(a.hasType('test-greet'), true);
  assert.equal(b.hasType('test-greet'), false);
  assert.equal(createRegistry().hasType('test-greet'), false);
  // The same definition may join another registry without a duplicate error.
  b.register(greetV1);
  b.register(greetV2);
  assert.deepEqual(a.versionsOf('test-greet'), [1]);
  assert.deepEqual(b.versionsOf('test-greet'), [1, 2]);
  assert.equal(new NodeRegistry().all().length, 0);
});

test('definitions are frozen and defineNode checks type and version', () => {
  assert.ok(Object.isFrozen(greetV1));
  assert.throws(() => defineNode({ ...greetV1Spec(), type: 'Bad Type' }), /lower-case/);
  assert.throws(() => defineNode({ ...greetV1Spec(), version: 0 }), /versions are integers/);
  assert.equal(defineNode({ ...greetV1Spec(), type: 'acme/thing' }).type, 'acme/thing');
});
