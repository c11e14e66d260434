/**
 * The Rete canvas: draws a Graph (model/mapping.ts) and reports what the user does on it (wires, moves,
 * selects) as callbacks. It never changes the pipeline itself: the editor view applies each gesture to the
 * document (model/ops.ts) and calls `sync` with the new graph, so undo, save and validation all work on
 * the document alone.
 */
import { NodeEditor } from 'rete';
import { AreaExtensions, AreaPlugin } from 'rete-area-plugin';
import { ClassicFlow, ConnectionPlugin, getSourceTarget } from 'rete-connection-plugin';
import { Presets, VuePlugin, type VueArea2D } from 'rete-vue-plugin';
import type { Graph } from '../model/mapping.ts';
import type { NodeRun } from '../run/run-state.ts';
import { canConnect } from '../model/kinds.ts';
import { CanvasConnection, CanvasNode, type NodeProblem, type Schemes } from './schemes.ts';
import { FrameBatchedSocketPosition } from './socket-positions.ts';
import { Minimap } from './minimap.ts';
import NodeView from './NodeView.vue';
import ConnectionView from './ConnectionView.vue';

type AreaExtra = VueArea2D<Schemes>;

export interface CanvasEvents {
  connect(from: { node: string; port: string }, to: { node: string; port: string }): void;
  disconnect(edgeId: string): void;
  refused(reason: string, at: { x: number; y: number }): void;
  moved(positions: Map<string, { x: number; y: number }>): void;
  selected(ids: string[]): void;
  /** Right-click on the canvas, a node or a connection (the view shows its menu). */
  menu(at: { x: number; y: number }, target: { kind: 'canvas' } | { kind: 'node'; id: string } | { kind: 'connection'; id: string }): void;
}

export class Canvas {
  readonly editor = new NodeEditor<Schemes>();
  readonly area: AreaPlugin<Schemes, AreaExtra>;
  private readonly connection = new ConnectionPlugin<Schemes, AreaExtra>();
  private readonly render = new VuePlugin<Schemes, AreaExtra>();
  private readonly selector = AreaExtensions.selector();
  private readonly selectable: ReturnType<typeof AreaExtensions.selectableNodes>;
  /** True while `sync` changes Rete: its events are ours, not the user's. */
  private syncing = false;
  private moved = new Set<string>();
  private minimap: Minimap | undefined;
  private readonly menuEvents = new WeakSet<MouseEvent>();

  constructor(readonly container: HTMLElement, private readonly events: CanvasEvents) {
    this.area = new AreaPlugin<Schemes, AreaExtra>(container);
    // The area sets overflow:hidden; a focused field in an off-screen node would scroll it (EDITOR.md).
    container.style.overflow = 'clip';
    this.render.addPreset(
      Presets.classic.setup({
        socketPositionWatcher: new FrameBatchedSocketPosition(),
        // Sockets are drawn inside NodeView (returning null mounts no Vue app per socket).
        customize: { node: () => NodeView, socket: () => null, connection: () => ConnectionView },
      }) as never,
    );
    this.connection.addPreset(() => new ClassicFlow({ canMakeConnection: (a, b) => this.allow(a, b), makeConnection: (a, b) => this.make(a, b) }));
    this.editor.use(this.area);
    this.area.use(this.connection);
    this.area.use(this.render);
    this.selectable = AreaExtensions.selectableNodes(this.area, this.selector, { accumulating: AreaExtensions.accumulateOnCtrl() });
    AreaExtensions.simpleNodesOrder(this.area);
    AreaExtensions.restrictor(this.area, { scaling: { min: 0.05, max: 2 } });

    this.installBoxSelect();
    this.connection.addPipe((context) => {
      if (context.type === 'connectionpick') this.markFits(context.data.socket);
      if (context.type === 'connectiondrop') this.clearFits();
      return context;
    });
    this.editor.addPipe((context) => {
      if (context.type === 'connectionremoved' && !this.syncing) this.events.disconnect(context.data.id);
      return context;
    });
    this.area.addPipe((context) => {
      if (context.type === 'nodetranslated' && !this.syncing) this.moved.add(context.data.id);
      if (context.type === 'nodedragged') queueMicrotask(() => this.flushMoves());
      if (context.type === 'nodepicked') queueMicrotask(() => (this.events.selected(this.selectedIds()), this.scheduleViewUpdate()));
      if (context.type === 'pointerdown' && context.data.event.target === this.container) queueMicrotask(() => this.events.selected(this.selectedIds()));
      if (context.type === 'contextmenu') {
        const { event, context: target } = context.data;
        event.preventDefault();
        const at = { x: event.clientX, y: event.clientY };
        // A right-click on a node or connection bubbles on to the area, which reports it again as 'root'.
        if (target === 'root') {
          if (!this.menuEvents.has(event)) this.events.menu(at, { kind: 'canvas' });
          return context;
        }
        this.menuEvents.add(event);
        if (target instanceof CanvasNode) this.events.menu(at, { kind: 'node', id: target.id });
        else this.events.menu(at, { kind: 'connection', id: target.id });
      }
      if (context.type === 'zoomed' || context.type === 'translated' || context.type === 'nodetranslated') this.scheduleViewUpdate();
      return context;
    });
  }

  /**
   * Box selection: Shift+drag on the empty canvas draws a rectangle and selects the nodes it touches
   * (adding to the selection). Caught in the capture phase on the canvas's parent, before the area
   * starts panning.
   */
  private installBoxSelect(): void {
    const host = this.container.parentElement;
    if (!host) return;
    host.addEventListener(
      'pointerdown',
      (event) => {
        if (!event.shiftKey || event.button !== 0 || event.target !== this.container) return;
        event.stopPropagation();
        event.preventDefault();
        const box = document.createElement('div');
        box.className = 'select-box';
        box.dataset.testid = 'select-box';
        host.appendChild(box);
        const origin = host.getBoundingClientRect();
        const start = { x: event.clientX, y: event.clientY };
        const draw = (e: PointerEvent) => {
          Object.assign(box.style, {
            left: `${Math.min(start.x, e.clientX) - origin.left}px`,
            top: `${Math.min(start.y, e.clientY) - origin.top}px`,
            width: `${Math.abs(e.clientX - start.x)}px`,
            height: `${Math.abs(e.clientY - start.y)}px`,
          });
        };
        const up = async (e: PointerEvent) => {
          window.removeEventListener('pointermove', draw);
          window.removeEventListener('pointerup', up);
          box.remove();
          const a = this.toCanvas(Math.min(start.x, e.clientX), Math.min(start.y, e.clientY));
          const b = this.toCanvas(Math.max(start.x, e.clientX), Math.max(start.y, e.clientY));
          const hits = this.editor.getNodes().filter((n) => {
            const p = this.area.nodeViews.get(n.id)?.position;
            return p && p.x < b.x && p.x + n.width > a.x && p.y < b.y && p.y + n.height > a.y;
          });
          await this.select([...new Set([...this.selectedIds(), ...hits.map((n) => n.id)])]);
        };
        window.addEventListener('pointermove', draw);
        window.addEventListener('pointerup', up);
      },
      { capture: true },
    );
  }

  /** Draws `graph`, changing only what differs from what is drawn. */
  async sync(graph: Graph, problems: Map<string, NodeProblem[]>, edgeProblems: Map<string, string>): Promise<void> {
    this.syncing = true;
    try {
      const wantedEdges = new Map(graph.edges.map((e) => [e.id, e]));
      for (const c of this.editor.getConnections()) if (!wantedEdges.has(c.id)) await this.editor.removeConnection(c.id);
      const wantedNodes = new Set(graph.nodes.map((n) => n.id));
      for (const n of this.editor.getNodes()) if (!wantedNodes.has(n.id)) await this.editor.removeNode(n.id);
      for (const g of graph.nodes) {
        let node = this.editor.getNode(g.id);
        const nodeProblems = problems.get(g.id) ?? [];
        if (!node) {
          node = new CanvasNode(g);
          node.problems = nodeProblems;
          await this.editor.addNode(node);
          await this.area.translate(node.id, g.position);
          continue;
        }
        const changed = node.apply(g) || JSON.stringify(node.problems) !== JSON.stringify(nodeProblems);
        node.problems = nodeProblems;
        const view = this.area.nodeViews.get(g.id);
        if (view && (view.position.x !== g.position.x || view.position.y !== g.position.y)) await this.area.translate(g.id, g.position);
        if (changed) await this.area.update('node', g.id);
      }
      for (const e of graph.edges) {
        const existing = this.editor.getConnection(e.id);
        const problem = edgeProblems.get(e.id);
        if (existing) {
          if (existing.problem !== problem) {
            existing.problem = problem;
            await this.area.update('connection', e.id);
          }
          continue;
        }
        const source = this.editor.getNode(e.source);
        const target = this.editor.getNode(e.target);
        if (!source || !target) continue;
        const connection = new CanvasConnection(source, e.sourceOutput, target, e.targetInput);
        connection.id = e.id;
        connection.problem = problem;
        await this.editor.addConnection(connection);
      }
    } finally {
      this.syncing = false;
    }
    this.scheduleViewUpdate();
  }

  /**
   * Draws a run's node states (undefined: no run shown). Only the `changed` nodes and the connections
   * leaving them are redrawn, so a large pipeline stays smooth while its run streams events.
   */
  async showRun(states: Record<string, NodeRun> | undefined, changed: Set<string>, runId?: string): Promise<void> {
    this.container.classList.toggle('showing-run', !!states);
    for (const id of changed) {
      const node = this.editor.getNode(id);
      if (!node) continue;
      node.run = states?.[id] && { ...states[id] };
      node.runId = states ? runId : undefined;
      await this.area.update('node', id);
    }
    for (const c of this.editor.getConnections()) {
      if (!changed.has(c.source) && !changed.has(c.target)) continue;
      // A branch succeeds with one output: the edges into what it skipped carried nothing.
      const arrived = states?.[c.source]?.status === 'succeeded' && states[c.target]?.status !== 'skipped';
      if (c.arrived === arrived) continue;
      c.arrived = arrived;
      await this.area.update('connection', c.id);
    }
  }

  /** Shows the minimap once the first load is drawn (it redraws after each change, at most once a frame). */
  enableMinimap(): void {
    if (this.minimap) return;
    // Outside the area's own element, which is transformed with the view.
    this.minimap = new Minimap(this.container.parentElement ?? this.container, this.editor, this.area);
    this.minimap.schedule();
  }

  selectedIds(): string[] {
    return this.editor.getNodes().filter((n) => n.selected).map((n) => n.id);
  }

  async select(ids: string[]): Promise<void> {
    await this.selector.unselectAll();
    for (const id of ids) if (this.editor.getNode(id)) await this.selectable.select(id, true);
    this.events.selected(this.selectedIds());
  }

  async zoomToFit(ids?: string[]): Promise<void> {
    const nodes = ids ? this.editor.getNodes().filter((n) => ids.includes(n.id)) : this.editor.getNodes();
    if (nodes.length) await AreaExtensions.zoomAt(this.area, nodes, { scale: 0.9 });
    else await this.area.area.zoom(1, 0, 0);
  }

  /** Canvas coordinates of a point on the page (a drop from the palette, a paste at the pointer). */
  toCanvas(clientX: number, clientY: number): { x: number; y: number } {
    const rect = this.container.getBoundingClientRect();
    const { x, y, k } = this.area.area.transform;
    return { x: (clientX - rect.left - x) / k, y: (clientY - rect.top - y) / k };
  }

  /** Lays the nodes out with ELK (in a Web Worker, loaded on first use) and reports the new positions. */
  async arrange(): Promise<void> {
    const { arrange } = await import('./arrange.ts');
    await arrange(this.editor, this.area);
    const positions = new Map<string, { x: number; y: number }>();
    for (const [id, view] of this.area.nodeViews) positions.set(id, { ...view.position });
    this.events.moved(positions);
    await this.zoomToFit();
  }

  destroy(): void {
    this.minimap?.destroy();
    this.area.destroy();
  }

  private flushMoves(): void {
    if (!this.moved.size) return;
    const positions = new Map<string, { x: number; y: number }>();
    for (const id of this.moved) {
      const view = this.area.nodeViews.get(id);
      if (view) positions.set(id, { ...view.position });
    }
    this.moved.clear();
    this.events.moved(positions);
  }

  /**
   * While a connection is dragged, every socket it could be dropped on is marked `data-fit="yes"` and every
   * other one `data-fit="no"` (styles.css highlights and dims them), by the same rule as the drop.
   */
  private markFits(picked: { nodeId: string; side: 'input' | 'output'; key: string }): void {
    const node = this.editor.getNode(picked.nodeId);
    const kind = picked.side === 'output' ? node?.outputs[picked.key]?.socket.port.kind : node?.inputs[picked.key]?.socket.port.kind;
    this.container.classList.add('picking');
    for (const element of this.container.querySelectorAll<HTMLElement>('[data-socket]')) {
      const [nodeId, key] = [element.dataset.socket!.slice(0, element.dataset.socket!.lastIndexOf('.')), element.dataset.socket!.slice(element.dataset.socket!.lastIndexOf('.') + 1)];
      const side = element.dataset.testid === 'input-socket' ? 'input' : 'output';
      let fits = false;
      if (side !== picked.side && nodeId !== picked.nodeId) {
        const other = this.editor.getNode(nodeId);
        const otherKind = side === 'input' ? other?.inputs[key]?.socket.port.kind : other?.outputs[key]?.socket.port.kind;
        fits = picked.side === 'output' ? canConnect(kind, otherKind).ok : canConnect(otherKind, kind).ok;
      }
      element.dataset.fit = fits ? 'yes' : 'no';
    }
  }

  private clearFits(): void {
    this.container.classList.remove('picking');
    for (const element of this.container.querySelectorAll<HTMLElement>('[data-fit]')) delete element.dataset.fit;
  }

  /** The engine's rule decides; a refusal is shown with its reason and the plugin's drag is ended. */
  private allow(a: { nodeId: string; side: 'input' | 'output'; key: string; element: HTMLElement }, b: { nodeId: string; side: 'input' | 'output'; key: string; element: HTMLElement }): boolean {
    const ends = getSourceTarget(a as never, b as never);
    if (!ends) return false;
    const [source, target] = ends;
    const from = this.editor.getNode(source.nodeId)?.outputs[source.key]?.socket.port.kind;
    const to = this.editor.getNode(target.nodeId)?.inputs[target.key]?.socket.port.kind;
    const rule = source.nodeId === target.nodeId ? { ok: false as const, reason: 'a node cannot feed itself' } : canConnect(from, to);
    if (rule.ok) return true;
    const box = b.element.getBoundingClientRect();
    this.events.refused(rule.reason, { x: box.left + box.width / 2, y: box.top });
    // A refused drop leaves the plugin "picked" (its pseudo-connection follows the pointer): end it.
    setTimeout(() => this.connection.drop(), 0);
    return false;
  }

  private make(a: unknown, b: unknown): boolean {
    const ends = getSourceTarget(a as never, b as never);
    if (!ends) return false;
    const [source, target] = ends;
    this.events.connect({ node: source.nodeId, port: source.key }, { node: target.nodeId, port: target.key });
    return true;
  }

  private viewFrame = 0;
  private culled = new Set<string>();

  /**
   * Once per frame after a pan or zoom: nodes and connections outside the viewport are not painted
   * (visibility: hidden keeps them measurable, so socket positions stay right), and zoomed out, nodes are
   * drawn simplified (`.zoomed-out`: no port labels; `.zoomed-far`: plain boxes). Painting the thousands of
   * elements of a few hundred nodes is what made Rete's defaults pan at 5-10 frames/s (EDITOR.md).
   */
  scheduleViewUpdate(): void {
    if (this.viewFrame) return;
    this.viewFrame = requestAnimationFrame(() => {
      this.viewFrame = 0;
      this.updateView();
    });
  }

  private updateView(): void {
    this.minimap?.schedule();
    const { x, y, k } = this.area.area.transform;
    this.container.classList.toggle('zoomed-out', k < 0.5);
    this.container.classList.toggle('zoomed-far', k < 0.25);
    const width = this.container.clientWidth;
    const height = this.container.clientHeight;
    const margin = 100;
    const left = (-x - margin) / k;
    const top = (-y - margin) / k;
    const right = (width - x + margin) / k;
    const bottom = (height - y + margin) / k;
    const hidden = new Set<string>();
    for (const [id, view] of this.area.nodeViews) {
      const node = this.editor.getNode(id);
      const { x: nx, y: ny } = view.position;
      const out = !node || nx > right || ny > bottom || nx + node.width < left || ny + node.height < top;
      if (out) hidden.add(id);
      if (out !== this.culled.has(id)) view.element.style.visibility = out ? 'hidden' : '';
    }
    for (const [id, view] of this.area.connectionViews) {
      const c = this.editor.getConnection(id);
      const out = !!c && hidden.has(c.source) && hidden.has(c.target);
      const was = view.element.style.visibility === 'hidden';
      if (out !== was) view.element.style.visibility = out ? 'hidden' : '';
    }
    this.culled = hidden;
  }
}
