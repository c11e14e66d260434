/**
 * Mistakes a newcomer makes in a pipeline file are refused with a pointer to the fix: a misspelt param
 * ("seperator" used to pass and be ignored), a misspelt node type, a JSON syntax error (with its line and
 * column, not a character offset).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRegistry } from '../../nodes/index.ts';
import { validatePipeline, validatePipelineText } from '../../engine/pipeline/validate.ts';
import { closest } from '../../engine/pipeline/suggest.ts';

const registry = createRegistry();

const joinPipeline = (params: Record<string, unknown>, type = 'join') => ({
  format: 'tessera.pipeline/v1',
  name: 'hints',
  nodes: [
    { id: 'a', type: 'input', params: { name: 'a', kind: 'text' } },
    { id: 'j', type, params },
    { id: 'out', type: 'output', params: { name: 'text' } },
  ],
  edges: [
    { from: 'a.value', to: 'j.items' },
    { from: 'j.text', to: 'out.value' },
  ],
});

test('an unknown params key is refused, with "did you mean" and the node\'s params', () => {
  const result = validatePipeline(joinPipeline({ seperator: ', ' }), registry);
  assert.equal(result.ok, false);
  const errors = result.ok ? [] : result.errors;
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'PARAMS_INVALID');
  assert.equal(errors[0].nodeId, 'j');
  assert.equal(errors[0].message, 'Node "j" (join) has no param "seperator". Did you mean "separator"? Its params: separator.');
  assert.deepEqual(errors[0].details, { path: ['seperator'] });

  assert.equal(validatePipeline(joinPipeline({ separator: ', ' }), registry).ok, true);
});

test('an unknown node type suggests the closest one and `tessera nodes`', () => {
  const result = validatePipeline(
    {
      format: 'tessera.pipeline/v1',
      name: 'typo',
      nodes: [{ id: 'pick', type: 'json_pick', params: { path: 'a' } }],
      edges: [],
    },
    registry,
  );
  assert.equal(result.ok, false);
  const [error] = result.ok ? [] : result.errors;
  assert.equal(error.code, 'UNKNOWN_NODE_TYPE');
  assert.equal(error.message, 'Node "pick" has unknown type "json_pick". Did you mean "json-pick"? See `tessera nodes` for the node types.');
});

test('a JSON syntax error names its line and column', () => {
  const text = '{\n  "format": "tessera.pipeline/v1",\n  "name": "x"\n  "nodes": []\n}\n';
  const result = validatePipelineText(text, registry);
  assert.equal(result.ok, false);
  const [error] = result.ok ? [] : result.errors;
  assert.equal(error.code, 'FILE_NOT_JSON');
  assert.match(error.message, /^The pipeline is not valid JSON: line 4, column 3: /);
  assert.deepEqual(error.details, { line: 4, column: 3 });
});

test('suggestions are only offered when close', () => {
  assert.equal(closest('seperator', ['separator', 'template']), 'separator');
  assert.equal(closest('Json_Pick', ['json-pick', 'join']), 'json-pick');
  assert.equal(closest('x', ['y', 'ocr']), undefined);
  assert.equal(closest('summarise', ['transcribe', 'caption', 'ocr']), undefined);
});
