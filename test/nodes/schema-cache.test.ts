/**
 * extract-json's compiled-schema cache is bounded for real: Ajv keeps every schema it compiled, so the
 * bound must drop whole Ajv instances. 10,000 distinct schemas keep the count bounded and the heap flat.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { compiledSchemaCount, compileSchema, schemaErrors } from '../../nodes/common/schema-check.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** A schema of some weight, distinct per i (as a user's edited schema would be). */
function schema(i: number): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (let p = 0; p < 5; p++) properties[`field_${i}_${p}`] = { type: 'string', minLength: 1, maxLength: 100 + p, pattern: `^[a-z]{1,${p + 1}}$` };
  return { type: 'object', properties, required: Object.keys(properties).slice(0, 5), additionalProperties: false };
}

function heapAfterGc(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

test('10,000 distinct schemas: at most two generations alive, and the heap does not grow with the count', () => {
  for (let i = 0; i < 2_000; i++) compileSchema(schema(i));
  const before = heapAfterGc();
  for (let i = 2_000; i < 10_000; i++) {
    const compiled = compileSchema(schema(i));
    assert.ok('validate' in compiled);
  }
  const after = heapAfterGc();
  assert.ok(compiledSchemaCount() <= 400, `${compiledSchemaCount()} compiled schemas alive`);
  // One Ajv keeping 8,000 more compiled schemas holds about 50 MB more; a bounded cache stays where it was.
  const grownMb = (after - before) / 1024 / 1024;
  assert.ok(grownMb < 15, `the heap grew by ${grownMb.toFixed(1)} MB over 8,000 more schemas`);
});

test('a cached schema still validates after newer generations arrived', () => {
  const keep = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] };
  const first = compileSchema(keep);
  assert.ok('validate' in first);
  const again = compileSchema(JSON.parse(JSON.stringify(keep)));
  assert.ok('validate' in again && again.validate === first.validate, 'the same text is compiled once');
  assert.deepEqual(schemaErrors(first.validate, { n: 1 }), []);
  assert.match(schemaErrors(first.validate, {})[0], /must have required property 'n'/);
});
