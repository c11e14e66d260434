/** The Rete node and connection classes of the canvas: plain data the Vue components draw. */
import { ClassicPreset, type GetSchemes } from 'rete';
import type { GraphNode, GraphPort } from '../model/mapping.ts';
import { acceptsManyEdges } from '../model/kinds.ts';
import type { NodeRun } from '../run/run-state.ts';

/** A socket knows its port kind; the name is what Rete shows in tooltips. */
export class KindSocket extends ClassicPreset.Socket {
  constructor(readonly port: GraphPort) {
    super(port.kind ?? 'unknown');
  }
}

export interface NodeProblem {
  code: string;
  message: string;
  port?: string;
}

export class CanvasNode extends ClassicPreset.Node<Record<string, KindSocket>, Record<string, KindSocket>, Record<string, never>> {
  width = 220;
  height = 80;
  selected = false;
  problems: NodeProblem[] = [];
  graph!: GraphNode;
  /** A signature of what is drawn, to skip redraws that would change nothing. */
  drawn = '';
  /** The node's state in the run shown on the canvas, if one is. */
  run?: NodeRun;
  /** The id of the run shown (a `pipeline` node links its child run, `<run>.<node>`). */
  runId?: string;

  constructor(graph: GraphNode) {
    super(graph.label);
    this.id = graph.id;
    this.apply(graph);
  }

  /** Takes the node's new state; true when anything drawn changed. */
  apply(graph: GraphNode): boolean {
    this.graph = graph;
    this.label = graph.label;
    const signature = JSON.stringify([graph.label, graph.type, graph.inputs, graph.outputs, !!graph.node.pinned, graph.node.map ?? null]);
    if (signature === this.drawn) return false;
    this.drawn = signature;
    for (const key of Object.keys(this.inputs)) this.removeInput(key);
    for (const key of Object.keys(this.outputs)) this.removeOutput(key);
    for (const port of graph.inputs) {
      this.addInput(port.key, new ClassicPreset.Input(new KindSocket(port), port.key, port.kind ? acceptsManyEdges(port.kind) : true));
    }
    for (const port of graph.outputs) this.addOutput(port.key, new ClassicPreset.Output(new KindSocket(port), port.key, true));
    this.height = 58 + 24 * Math.max(graph.inputs.length + graph.outputs.length, 1);
    return true;
  }
}

// Generic, or the plugins' scheme constraints do not type-check (EDITOR.md).
export class CanvasConnection<A extends CanvasNode = CanvasNode, B extends CanvasNode = CanvasNode> extends ClassicPreset.Connection<A, B> {
  /** Why this edge does not fit (kinds changed under it), shown on the canvas. */
  problem?: string;
  /** In the run shown: the value has arrived (its source node succeeded). */
  arrived?: boolean;
}

export type Schemes = GetSchemes<CanvasNode, CanvasConnection<CanvasNode, CanvasNode>>;
