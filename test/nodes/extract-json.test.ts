/**
 * extract-json through the real providers: strict structured outputs (OpenAI), forced tool use
 * (Anthropic), validation of the answer, exactly one repair turn, and the validation-time checks.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePipeline } from '../../engine/pipeline/validate.ts';
import { extractJsonNode } from '../../nodes/extract-json/index.ts';
import { PRESETS } from '../../nodes/extract-json/presets.ts';
import { createRegistry } from '../../nodes/index.ts';
import { contentMarker } from '../support/fake-provider-server.ts';
import { nodeError, runNode, startNodeEnv, type NodeEnv } from '../support/node-harness.ts';
import { solid } from '../media/helpers.ts';

let env: NodeEnv;
before(async () => {
  env = await startNodeEnv();
});
beforeEach(() => env.fake.reset());
after(() => env.close());

const NOTE = 'Patient reports headaches for a week. Start ibuprofen 400 mg three times daily. Review in two weeks.';
const VALID = {
  medications: [{ name: 'ibuprofen', dose: '400 mg', frequency: 'three times daily' }],
  complaints: ['headaches for a week'],
  symptoms: ['headache'],
  decisions: ['start ibuprofen'],
  follow_up: ['review in two weeks'],
};
const clinical = PRESETS['clinical-voice-note']!;

test('OpenAI: response_format is the preset schema with strict true; the preset instructions are the system prompt; a valid answer is the output', async () => {
  env.fake.script('chat', { value: VALID });
  const ctx = env.context();
  const out = await runNode(extractJsonNode, { text: NOTE }, { preset: 'clinical-voice-note' }, ctx);
  assert.deepEqual(out.json, VALID);
  assert.equal(env.fake.requests.length, 1);
  const body = env.fake.requestsTo('chat')[0]!.json;
  assert.equal(body.model, 'gpt-4o');
  assert.equal(body.temperature, 0);
  assert.equal(body.response_format.type, 'json_schema');
  assert.equal(body.response_format.json_schema.strict, true);
  assert.equal(body.response_format.json_schema.name, 'extraction');
  assert.deepEqual(body.response_format.json_schema.schema, clinical.schema);
  assert.deepEqual(body.messages, [
    { role: 'system', content: clinical.instructions },
    { role: 'user', content: [{ type: 'text', text: NOTE }] },
  ]);
  assert.equal(ctx.usage.length, 1);
  assert.ok(ctx.usage[0]!.costUsd! > 0);
});

test('an invalid first answer gets exactly one repair request carrying the validation errors, then succeeds', async () => {
  const invalid = { medications: 'ibuprofen', symptoms: [], decisions: [], follow_up: [] };
  env.fake.script('chat', { value: invalid }, { value: VALID });
  const ctx = env.context();
  const out = await runNode(extractJsonNode, { text: NOTE }, { preset: 'clinical-voice-note', instructions: 'Doses in mg.' }, ctx);
  assert.deepEqual(out.json, VALID);

  const requests = env.fake.requestsTo('chat');
  assert.equal(requests.length, 2);
  const [first, repair] = requests.map((r) => r.json);
  assert.equal(first.messages[0].content, `${clinical.instructions}\nDoses in mg.`);
  assert.equal(first.messages.length, 2);
  assert.equal(repair.messages.length, 4);
  assert.deepEqual(repair.messages.slice(0, 2), first.messages);
  assert.deepEqual(repair.messages[2], { role: 'assistant', content: JSON.stringify(invalid) });
  const feedback = repair.messages[3];
  assert.equal(feedback.role, 'user');
  const text: string = feedback.content[0].text;
  assert.match(text, /does not match the schema/);
  assert.match(text, /\/medications must be array/);
  assert.match(text, /must have required property 'complaints'/);
  assert.deepEqual(repair.response_format, first.response_format, 'the repair asks for the same schema');
  assert.equal(ctx.usage.length, 2, 'both calls are paid for and recorded');
});

test('two invalid answers: EXTRACTION_INVALID, not retryable, after exactly two requests', async () => {
  env.fake.script('chat', { value: { medications: 3 } }, { value: { medications: [], complaints: 'none' } });
  const err = await nodeError(runNode(extractJsonNode, { text: NOTE }, { preset: 'clinical-voice-note' }, env.context()));
  assert.equal(err.code, 'EXTRACTION_INVALID');
  assert.equal(err.options.retryable ?? false, false);
  assert.match(err.message, /after one repair/);
  assert.match(err.message, /\/complaints must be array/);
  assert.equal(env.fake.requestsTo('chat').length, 2);
  assert.equal(env.fake.requests.length, 2);
});

test('Anthropic: forced tool use with the schema as input_schema; the tool input is the output', async () => {
  const value = { title: 'Referral letter', date: '2024-03-01', parties: ['Dr Rossi', 'St Mary clinic'], fields: [{ label: 'NHS number', value: '123 456 7890' }] };
  env.fake.script('messages', { value });
  const ctx = env.context();
  const out = await runNode(extractJsonNode, { text: 'Referral letter ...' }, { provider: 'anthropic', model: 'claude-sonnet-4-5', preset: 'document-fields', schemaName: 'fields' }, ctx);
  assert.deepEqual(out.json, value);
  const body = env.fake.requestsTo('messages')[0]!.json;
  assert.deepEqual(body.tool_choice, { type: 'tool', name: 'fields' });
  assert.equal(body.tools.length, 1);
  assert.equal(body.tools[0].name, 'fields');
  assert.deepEqual(body.tools[0].input_schema, PRESETS['document-fields']!.schema);
  assert.equal(body.system, PRESETS['document-fields']!.instructions);
  assert.equal(ctx.usage[0]!.provider, 'anthropic');
});

test('Anthropic repairs too: the second request carries the first answer and the errors', async () => {
  env.fake.script('messages', { value: { title: 7 } }, { value: { title: 'T', date: '', parties: [], fields: [] } });
  const out = await runNode(extractJsonNode, { text: 'x' }, { provider: 'anthropic', preset: 'document-fields' }, env.context());
  assert.deepEqual(out.json, { title: 'T', date: '', parties: [], fields: [] });
  const [, repair] = env.fake.requestsTo('messages').map((r) => r.json);
  assert.equal(env.fake.requestsTo('messages').length, 2);
  assert.deepEqual(repair.messages[1], { role: 'assistant', content: [{ type: 'text', text: '{"title":7}' }] });
  assert.match(repair.messages[2].content[0].text, /\/title must be string/);
  assert.deepEqual(repair.tool_choice, { type: 'tool', name: 'extraction' });
});

test('a custom non-object schema is wrapped for the provider and unwrapped in the output; images are sent', async () => {
  const schema = { type: 'array', items: { type: 'string' }, minItems: 1 };
  const image = await env.put(Buffer.concat([await solid(30, 30, '#ffffff').png().toBuffer(), contentMarker('a pill box')]));
  const out = await runNode(extractJsonNode, { images: [image] }, { schema, detail: 'low' }, env.context());
  assert.deepEqual(out.json, ['example']);
  const body = env.fake.requestsTo('chat')[0]!.json;
  assert.deepEqual(body.response_format.json_schema.schema, { type: 'object', properties: { value: schema }, required: ['value'], additionalProperties: false });
  assert.equal(body.messages[0].content, 'Extract the requested structured data.');
  const [part] = body.messages[1].content;
  assert.equal(part.type, 'image_url');
  assert.equal(part.image_url.detail, 'low');
});

test('a schema with an $id can be checked and run again and again in one process', async () => {
  const schema = () => ({
    $id: 'https://example.com/schemas/medication.json',
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string' } },
  });
  const pipeline = pipelineWith({ schema: schema() });
  const result = validatePipeline(pipeline, createRegistry());
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  for (let i = 0; i < 2; i++) {
    env.fake.script('chat', { value: { name: `drug ${i}` } });
    const out = await runNode(extractJsonNode, { text: NOTE }, { schema: schema() }, env.context());
    assert.deepEqual(out.json, { name: `drug ${i}` });
  }
});

test('an invalid schema fails the run before any request (PARAMS_INVALID)', async () => {
  const err = await nodeError(runNode(extractJsonNode, { text: NOTE }, { schema: { type: 'nonsense' } }, env.context()));
  assert.equal(err.code, 'PARAMS_INVALID');
  assert.match(err.message, /not a valid JSON Schema/);
  assert.equal(env.fake.requests.length, 0);
});

function pipelineWith(params: Record<string, unknown>) {
  return {
    format: 'tessera.pipeline/v1',
    name: 'extract',
    nodes: [
      { id: 'note', type: 'input', params: { name: 'note', kind: 'text' } },
      { id: 'extract', type: 'extract-json', params },
      { id: 'result', type: 'output', params: { name: 'result' } },
    ],
    edges: [
      { from: 'note.value', to: 'extract.text' },
      { from: 'extract.json', to: 'result.value' },
    ],
  };
}

function paramsErrors(params: Record<string, unknown>) {
  const result = validatePipeline(pipelineWith(params), createRegistry());
  assert.equal(result.ok, false, 'the pipeline must be refused');
  return result.ok ? [] : result.errors;
}

test('validation: neither preset nor schema is PARAMS_INVALID on the node', () => {
  const errors = paramsErrors({});
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0]!.code, 'PARAMS_INVALID');
  assert.equal(errors[0]!.nodeId, 'extract');
  assert.match(errors[0]!.message, /Node "extract": set either "preset" or "schema"/);
});

test('validation: an invalid JSON Schema is PARAMS_INVALID naming the problem; both preset and schema too', () => {
  const errors = paramsErrors({ schema: { type: 'object', properties: { a: { type: 'strng' } } } });
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0]!.code, 'PARAMS_INVALID');
  assert.equal(errors[0]!.nodeId, 'extract');
  assert.match(errors[0]!.message, /"schema" is not a valid JSON Schema: .*type/);

  const both = paramsErrors({ preset: 'clinical-voice-note', schema: { type: 'object' } });
  assert.deepEqual(both.map((e) => [e.code, e.nodeId]), [['PARAMS_INVALID', 'extract']]);
  assert.match(both[0]!.message, /not both/);

  const unknownPreset = paramsErrors({ preset: 'tax-return' });
  assert.equal(unknownPreset[0]!.code, 'PARAMS_INVALID');
  assert.match(unknownPreset[0]!.message, /param preset/);
});
