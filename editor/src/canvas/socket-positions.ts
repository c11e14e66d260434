/**
 * Socket positions for connection ends, read from the DOM once per animation frame for all sockets that
 * asked, instead of once per socket as they mount. Each read of offsetLeft/Top after a DOM change forces
 * a layout; batched, loading 300 nodes costs a handful of layouts instead of ~1,300 (EDITOR.md).
 */
import { DOMSocketPosition } from 'rete-render-utils';
import type { Schemes } from './schemes.ts';

type Side = 'input' | 'output';
type Position = { x: number; y: number };

export class FrameBatchedSocketPosition<K> extends DOMSocketPosition<Schemes, K> {
  private queue: { run: () => Promise<Position | null>; resolve: (p: Position | null) => void }[] = [];
  private scheduled = false;

  constructor() {
    // Our sockets are 14 px: the connection ends at the socket's centre, not Rete's 12 px offset for 24 px ones.
    super({ offset: (position) => position });
  }

  override calculatePosition(nodeId: string, side: Side, key: string, element: HTMLElement): Promise<Position | null> {
    return new Promise((resolve) => {
      this.queue.push({ run: () => super.calculatePosition(nodeId, side, key, element), resolve });
      if (this.scheduled) return;
      this.scheduled = true;
      requestAnimationFrame(() => {
        const batch = this.queue;
        this.queue = [];
        this.scheduled = false;
        for (const item of batch) item.run().then(item.resolve, () => item.resolve(null));
      });
    });
  }
}
