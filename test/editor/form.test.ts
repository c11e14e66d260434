import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from '../../nodes/index.ts';
import { formFields, parseFieldInput, type Field } from '../../editor/src/model/form.ts';

const catalog = createRegistry().catalog();

for (const entry of catalog) {
  test(`a form is generated for every param of ${entry.type} v${entry.version}`, () => {
    const schema = entry.paramsSchema as { properties?: Record<string, { type?: string; enum?: unknown[]; minimum?: number; maximum?: number }>; required?: string[] };
    const fields = formFields(schema);
    assert.deepEqual(fields.map((f) => f.key), Object.keys(schema.properties ?? {}));
    for (const f of fields) {
      const prop = schema.properties![f.key];
      assert.equal(f.required, (schema.required ?? []).includes(f.key), `${f.key} required`);
      if (prop.enum) assert.equal(f.widget, 'select', f.key);
      else if (prop.type === 'boolean') assert.equal(f.widget, 'checkbox', f.key);
      else if (prop.type === 'integer' || prop.type === 'number') {
        assert.equal(f.widget, prop.type, f.key);
        assert.equal(f.min, prop.minimum);
        assert.equal(f.max, prop.maximum);
      } else if (prop.type === 'string') assert.ok(f.widget === 'text' || f.widget === 'textarea', f.key);
      else assert.equal(f.widget, 'json', `${entry.type}.${f.key} (no simple type) is edited as JSON`);
    }
  });
}

const byKey = (type: string, key: string): Field => formFields(catalog.find((e) => e.type === type)!.paramsSchema).find((f) => f.key === key)!;

test('prompts and templates are multi-line; names are single-line', () => {
  assert.equal(byKey('llm', 'prompt').widget, 'textarea');
  assert.equal(byKey('llm', 'system').widget, 'textarea');
  assert.equal(byKey('text-template', 'template').widget, 'textarea');
  assert.equal(byKey('output', 'name').widget, 'text');
});

test('a JSON-Schema-valued param (extract-json schema) gets the JSON editor', () => {
  assert.equal(byKey('extract-json', 'schema').widget, 'json');
  assert.deepEqual(byKey('input', 'kind').options?.includes('audio[]'), true);
});

test('arrays of scalars and nested objects get their own widgets', () => {
  const fields = formFields({
    type: 'object',
    properties: { tags: { type: 'array', items: { type: 'string' } }, limits: { type: 'object', properties: { max: { type: 'integer', minimum: 1 } }, required: ['max'] } },
  });
  assert.equal(fields[0].widget, 'list');
  assert.equal(fields[0].item, 'text');
  assert.equal(fields[1].widget, 'object');
  assert.deepEqual(fields[1].fields?.map((f) => [f.key, f.widget, f.required, f.min]), [['max', 'integer', true, 1]]);
});

test('form input is read back into param values', () => {
  assert.deepEqual(parseFieldInput({ widget: 'integer' }, '12'), { value: 12 });
  assert.match(parseFieldInput({ widget: 'integer' }, '1.5').error!, /whole number/);
  assert.equal(parseFieldInput({ widget: 'text' }, '').unset, true);
  assert.deepEqual(parseFieldInput({ widget: 'json' }, '{"type":"object"}'), { value: { type: 'object' } });
  assert.match(parseFieldInput({ widget: 'json' }, '{').error!, /not valid JSON/);
  assert.deepEqual(parseFieldInput({ widget: 'checkbox' }, false), { value: false });
});
