/**
 * The minimap: one <canvas> with a rectangle per node and the viewport, redrawn at most once per frame.
 * rete-minimap-plugin renders every node as a Vue element and re-renders them all on each pan step; at
 * 300 nodes that alone took panning from 16.7 ms to 83 ms p95 frames (docs/benchmarks.md), so the editor
 * draws its own. Click or drag on it to move the view there.
 */
import type { AreaPlugin } from 'rete-area-plugin';
import type { NodeEditor } from 'rete';
import type { CanvasNode, Schemes } from './schemes.ts';

const WIDTH = 200;
const HEIGHT = 130;
const PAD = 6;

export class Minimap {
  readonly element = document.createElement('canvas');
  private frame = 0;
  private map = { scale: 1, left: 0, top: 0 };

  constructor(
    private readonly host: HTMLElement,
    private readonly editor: NodeEditor<Schemes>,
    private readonly area: AreaPlugin<Schemes, any>,
  ) {
    const ratio = window.devicePixelRatio || 1;
    this.element.width = WIDTH * ratio;
    this.element.height = HEIGHT * ratio;
    this.element.className = 'minimap';
    this.element.dataset.testid = 'minimap';
    this.element.addEventListener('pointerdown', (e) => this.onPointer(e));
    host.appendChild(this.element);
  }

  /** Redraws on the next frame (coalesced). */
  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    this.element.remove();
  }

  private draw(): void {
    const ctx = this.element.getContext('2d');
    if (!ctx) return;
    const ratio = this.element.width / WIDTH;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    const nodes: { x: number; y: number; w: number; h: number; node: CanvasNode }[] = [];
    for (const [id, view] of this.area.nodeViews) {
      const node = this.editor.getNode(id);
      if (node) nodes.push({ x: view.position.x, y: view.position.y, w: node.width, h: node.height, node });
    }
    const { x, y, k } = this.area.area.transform;
    const view = { x: -x / k, y: -y / k, w: this.host.clientWidth / k, h: this.host.clientHeight / k };
    const items = [...nodes, view];
    const left = Math.min(...items.map((n) => n.x));
    const top = Math.min(...items.map((n) => n.y));
    const right = Math.max(...items.map((n) => n.x + n.w));
    const bottom = Math.max(...items.map((n) => n.y + n.h));
    const scale = Math.min((WIDTH - 2 * PAD) / (right - left || 1), (HEIGHT - 2 * PAD) / (bottom - top || 1));
    this.map = { scale, left, top };
    const sx = (v: number) => PAD + (v - left) * scale;
    const sy = (v: number) => PAD + (v - top) * scale;
    for (const n of nodes) {
      ctx.fillStyle = n.node.problems.length ? '#e8a39b' : n.node.selected ? '#3b5bdb' : '#aab2c0';
      ctx.fillRect(sx(n.x), sy(n.y), Math.max(1.5, n.w * scale), Math.max(1.5, n.h * scale));
    }
    ctx.strokeStyle = '#3b5bdb';
    ctx.lineWidth = 1.5;
    ctx.strokeRect(sx(view.x), sy(view.y), view.w * scale, view.h * scale);
  }

  /** Centres the view on the clicked point, and follows the pointer while the button is held. */
  private onPointer(event: PointerEvent): void {
    event.stopPropagation();
    event.preventDefault();
    const rect = this.element.getBoundingClientRect();
    const move = (e: PointerEvent) => {
      const { scale, left, top } = this.map;
      const cx = (e.clientX - rect.left - PAD) / scale + left;
      const cy = (e.clientY - rect.top - PAD) / scale + top;
      const { k } = this.area.area.transform;
      void this.area.area.translate(this.host.clientWidth / 2 - cx * k, this.host.clientHeight / 2 - cy * k);
    };
    move(event);
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }
}
