import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { addEdge, addNode, emptyPipeline, fragmentOf, parseFragment, pasteFragment, removeNodes, renameNode } from '../../editor/src/model/ops.ts';

const base = (): Pipeline => {
  let doc = emptyPipeline('p');
  doc = addNode(doc, { type: 'input', params: { name: 'x', kind: 'text' }, position: { x: 0, y: 0 } }).doc;
  doc = addNode(doc, { type: 'output', params: { name: 'y' }, position: { x: 300, y: 0 } }).doc;
  return addEdge(doc, { from: 'input.value', to: 'output.value' });
};

test('new nodes get free ids from their type', () => {
  const doc = addNode(base(), { type: 'input' });
  assert.equal(doc.id, 'input-2');
});

test('copy makes a pipeline file of the selection; paste renames and keeps the inner edges', () => {
  const doc = base();
  const text = JSON.stringify(fragmentOf(doc, ['input', 'output']));
  const fragment = parseFragment(text)!;
  assert.equal(fragment.format, 'tessera.pipeline/v1');
  const pasted = pasteFragment(doc, fragment, { x: 40, y: 40 });
  assert.deepEqual(pasted.ids, ['input-2', 'output-2']);
  assert.deepEqual(pasted.doc.edges.at(-1), { from: 'input-2.value', to: 'output-2.value' });
  assert.deepEqual(pasted.doc.nodes.at(-1)!.position, { x: 340, y: 40 });
  assert.equal(parseFragment('not json'), undefined);
});

test('a copied single node leaves edges to unselected nodes out', () => {
  assert.deepEqual(fragmentOf(base(), ['input']).edges, []);
});

test('delete removes the nodes\' edges; rename follows edges', () => {
  assert.deepEqual(removeNodes(base(), ['output']).edges, []);
  assert.deepEqual(renameNode(base(), 'input', 'note').edges, [{ from: 'note.value', to: 'output.value' }]);
});
