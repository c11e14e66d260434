import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { createRegistry } from '../../nodes/index.ts';
import { graphToPipeline, pipelineToGraph, type PortResolver } from '../../editor/src/model/mapping.ts';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const registry = createRegistry();
// The same answer the API's /node-types/ports gives (the registry resolves params-dependent ports).
const ports: PortResolver = (node) => {
  const d = registry.get(node.type, node.version);
  if (!d) return undefined;
  try {
    const params = d.params.safeParse(node.params ?? {});
    const p = params.success ? params.data : node.params;
    return { inputs: d.inputsFor(p), outputs: d.outputsFor(p) };
  } catch {
    return undefined;
  }
};
const withPositions = (doc: Pipeline): Pipeline => ({ ...doc, nodes: doc.nodes.map((n, i) => ({ ...n, position: n.position ?? { x: i * 10, y: i * 20 } })) });

for (const file of readdirSync(examples).filter((f) => f.endsWith('.pipeline.json'))) {
  test(`file -> graph -> file keeps ${file}`, () => {
    const doc = withPositions(JSON.parse(readFileSync(examples + file, 'utf8')) as Pipeline);
    const graph = pipelineToGraph(doc, ports);
    assert.equal(graph.nodes.length, doc.nodes.length);
    assert.equal(graph.edges.length, doc.edges.length, 'every edge is drawn');
    assert.deepEqual(graphToPipeline(graph, doc), doc);
  });
}

test('unknown fields on the pipeline, a node and an edge survive the round trip', () => {
  const doc = {
    $schema: 'x', format: 'tessera.pipeline/v1', name: 'n', 'x-owner': { team: 'a' },
    nodes: [
      { id: 'a', type: 'input', params: { name: 'a', kind: 'text' }, position: { x: 1, y: 2 }, 'x-note': 'keep me' },
      { id: 'b', type: 'output', version: 1, title: 'B', options: { timeout: '5s' }, params: { name: 'b' }, position: { x: 3, y: 4 } },
    ],
    edges: [{ from: 'a.value', to: 'b.value', 'x-colour': 'red' }],
  } as unknown as Pipeline;
  assert.deepEqual(graphToPipeline(pipelineToGraph(doc, ports), doc), doc);
});

test('sockets come from the node params: an input node\'s kind, a prompt\'s placeholders', () => {
  const doc = JSON.parse(readFileSync(examples + 'voice-note-to-summary.pipeline.json', 'utf8')) as Pipeline;
  const graph = pipelineToGraph(doc, ports);
  assert.deepEqual(graph.nodes.find((n) => n.id === 'note')!.outputs.map((p) => [p.key, p.kind]), [['value', 'audio']]);
  assert.ok(graph.nodes.find((n) => n.id === 'summary')!.inputs.some((p) => p.key === 'transcript'));
});

test('an edge naming a port the node no longer has keeps a socket of unknown kind (flagged, not dropped)', () => {
  const doc = withPositions({
    format: 'tessera.pipeline/v1', name: 'n',
    nodes: [{ id: 't', type: 'text-template', params: { template: 'no placeholders' } }, { id: 'i', type: 'input', params: { name: 'x', kind: 'text' } }],
    edges: [{ from: 'i.value', to: 't.gone' }],
  });
  const graph = pipelineToGraph(doc, ports);
  const port = graph.nodes.find((n) => n.id === 't')!.inputs.find((p) => p.key === 'gone');
  assert.ok(port);
  assert.equal(port.kind, undefined);
  assert.equal(graph.edges.length, 1);
  assert.deepEqual(graphToPipeline(graph, doc), doc);
});

test('an edge to a missing node is kept in the file though it cannot be drawn', () => {
  const doc = withPositions({ format: 'tessera.pipeline/v1', name: 'n', nodes: [{ id: 'i', type: 'input', params: { name: 'x', kind: 'text' } }], edges: [{ from: 'i.value', to: 'nobody.value' }] });
  const graph = pipelineToGraph(doc, ports);
  assert.equal(graph.edges.length, 0);
  assert.deepEqual(graphToPipeline(graph, doc).edges, doc.edges);
});

test('nodes without a position are laid out on a grid and get one', () => {
  const doc: Pipeline = { format: 'tessera.pipeline/v1', name: 'n', nodes: [{ id: 'a', type: 'input' }, { id: 'b', type: 'input' }], edges: [] };
  const out = graphToPipeline(pipelineToGraph(doc, ports), doc);
  assert.notDeepEqual(out.nodes[0].position, out.nodes[1].position);
});
