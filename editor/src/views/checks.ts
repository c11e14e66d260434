/**
 * What the API knows about the document being edited, asked after each change (debounced): the coded
 * validation errors, and the ports of each node for its current params (and `map`: a mapped node's ports are lists). Answers to an older document are
 * dropped when a newer request has been sent.
 */
import { reactive } from 'vue';
import type { CodedError } from '../../../engine/errors.ts';
import type { NodePorts } from '../../../engine/api/client/client.ts';
import type { Pipeline, PipelineNode } from '../../../engine/pipeline/schema.ts';
import { call } from '../session.ts';

/** A mapped node's ports are lists: its `map` is part of what its ports depend on. */
const signature = (n: PipelineNode) => JSON.stringify([n.type, n.version ?? null, n.params ?? {}, n.map ?? null]);

export function useChecks(delayMs = 350) {
  const state = reactive({
    errors: [] as CodedError[],
    checking: false,
    /** Ports by node signature (type, version, params, map), so unchanged nodes are not asked again. */
    ports: new Map<string, NodePorts>(),
    /** Bumped when ports arrive, for the canvas to redraw. */
    portsVersion: 0,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sent = 0;

  async function run(doc: Pipeline): Promise<void> {
    const ticket = ++sent;
    state.checking = true;
    const missing = doc.nodes.filter((n) => !state.ports.has(signature(n)));
    try {
      const [report, ports] = await Promise.all([
        call((api) => api.validatePipeline(doc), { quiet: true }),
        missing.length ? call((api) => api.nodePorts(missing.map((n) => ({ id: n.id, type: n.type, version: n.version, params: n.params, ...(n.map ? { map: n.map } : {}) }))), { quiet: true }) : Promise.resolve({} as Record<string, NodePorts>),
      ]);
      for (const node of missing) if (ports[node.id]) state.ports.set(signature(node), ports[node.id]);
      if (missing.length) state.portsVersion++;
      if (ticket === sent) state.errors = report.errors;
    } catch {
      // Shown by session (banner, key prompt); the next edit or the API coming back checks again.
    } finally {
      if (ticket === sent) state.checking = false;
    }
  }

  return {
    state,
    /** Checks `doc` after `delayMs` without further changes. */
    schedule(doc: Pipeline, immediately = false): void {
      clearTimeout(timer);
      timer = setTimeout(() => void run(doc), immediately ? 0 : delayMs);
    },
    /** Checks `doc` now; resolves when the answers are in (the first draw waits for the ports). */
    now(doc: Pipeline): Promise<void> {
      clearTimeout(timer);
      return run(doc);
    },
    portsOf(node: PipelineNode): NodePorts | undefined {
      return state.ports.get(signature(node));
    },
  };
}
