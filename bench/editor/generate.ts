/**
 * A valid pipeline of `nodes` nodes and `edges` edges for the editor benchmark: text inputs feeding
 * layers of text-template nodes, each template's {{placeholders}} wired to earlier nodes, laid out in
 * columns (as a saved, arranged pipeline would be).
 */
import type { Pipeline, PipelineEdge, PipelineNode } from '../../engine/pipeline/schema.ts';

export function generatePipeline(nodeCount: number, edgeCount: number): Pipeline {
  const inputs = Math.max(2, Math.round(nodeCount / 15));
  const templates = nodeCount - inputs;
  if (edgeCount < templates || edgeCount > templates * 2) throw new Error(`${edgeCount} edges cannot wire ${templates} templates with one or two placeholders each`);
  const twoInputs = edgeCount - templates; // templates with a second placeholder
  const perColumn = 12;
  const at = (i: number) => ({ x: Math.floor(i / perColumn) * 300, y: (i % perColumn) * 170 });
  const nodes: PipelineNode[] = [];
  const edges: PipelineEdge[] = [];
  for (let i = 0; i < inputs; i++) nodes.push({ id: `in${i}`, type: 'input', params: { name: `in${i}`, kind: 'text' }, position: at(i) });
  for (let t = 0; t < templates; t++) {
    const index = inputs + t;
    const second = t < twoInputs;
    const id = `t${t}`;
    nodes.push({ id, type: 'text-template', params: { template: second ? '{{a}} and {{b}}' : 'about {{a}}' }, position: at(index) });
    // Feed from nodes a column or two back, so edges are short, as in a laid-out graph.
    const pick = (offset: number) => nodes[Math.max(0, index - perColumn - ((t * 7 + offset) % perColumn))].id;
    const source = (n: string) => `${n}.${n.startsWith('in') ? 'value' : 'text'}`;
    edges.push({ from: source(pick(0)), to: `${id}.a` });
    if (second) edges.push({ from: source(pick(5)), to: `${id}.b` });
  }
  return { format: 'tessera.pipeline/v1', name: `bench ${nodeCount} nodes`, nodes, edges };
}
