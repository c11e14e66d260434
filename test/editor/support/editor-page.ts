/**
 * Drives the editor page like a person: real mouse drags from the palette and between sockets, typing
 * in the inspector. Assertions read the editor's document through `window.tesseraEditor` (the model),
 * not only the DOM.
 */
import type { Page } from 'playwright-core';
import type { CodedError } from '../../../engine/errors.ts';
import type { Pipeline } from '../../../engine/pipeline/schema.ts';

type Hooks = {
  document(): Pipeline;
  errors(): CodedError[];
  checking(): boolean;
  dirty(): boolean;
  version(): number | undefined;
  selection(): string[];
  idle(): Promise<void>;
  setView(x: number, y: number, k: number): Promise<void>;
};

export class EditorPage {
  constructor(readonly page: Page, readonly base: string) {}

  async open(path: string): Promise<void> {
    await this.page.goto(`${this.base}${path}`);
    await this.page.waitForFunction(() => 'tesseraEditor' in window);
    await this.page.locator('[data-testid=palette] [data-node-type]').first().waitFor();
    await this.settled();
  }

  /** Fixed zoom and translation, so canvas coordinates are page coordinates plus the canvas corner. */
  async fixView(): Promise<void> {
    await this.page.evaluate(() => (window as unknown as { tesseraEditor: Hooks }).tesseraEditor.setView(0, 0, 1));
    await this.settled();
  }

  async canvasOrigin(): Promise<{ x: number; y: number }> {
    const box = (await this.page.locator('[data-testid=canvas]').boundingBox())!;
    return { x: box.x, y: box.y };
  }

  /** Drags a node type from the palette to canvas point (x, y) with real mouse moves; returns the new node's id. */
  async dragNodeType(type: string, x: number, y: number): Promise<string> {
    const before = new Set((await this.document()).nodes.map((n) => n.id));
    const item = this.page.locator(`[data-testid=palette] [data-node-type="${type}"]`);
    await item.scrollIntoViewIfNeeded();
    const box = (await item.boundingBox())!;
    const origin = await this.canvasOrigin();
    await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(origin.x + x, origin.y + y, { steps: 12 });
    await this.page.mouse.up();
    await this.page.waitForFunction((ids) => (window as unknown as { tesseraEditor: Hooks }).tesseraEditor.document().nodes.some((n) => !ids.includes(n.id)), [...before]);
    await this.settled();
    const added = (await this.document()).nodes.find((n) => !before.has(n.id))!;
    return added.id;
  }

  /** Drags from one socket to another ("node.port") with the mouse. */
  async connect(from: string, to: string): Promise<void> {
    const a = await this.socketCentre(from);
    const b = await this.socketCentre(to);
    await this.page.mouse.move(a.x, a.y);
    await this.page.mouse.down();
    await this.page.mouse.move(b.x, b.y, { steps: 10 });
    await this.page.mouse.up();
    await this.settled();
  }

  async socketCentre(endpoint: string): Promise<{ x: number; y: number }> {
    const socket = this.page.locator(`[data-socket="${endpoint}"]`);
    await socket.waitFor();
    const box = (await socket.boundingBox())!;
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  }

  async select(nodeId: string): Promise<void> {
    await this.page.locator(`[data-node-id="${nodeId}"] [data-testid=title]`).click();
    await this.page.locator('[data-testid=inspector] [data-testid=node-id]').waitFor();
    await this.page.waitForFunction((id) => (window as unknown as { tesseraEditor: Hooks }).tesseraEditor.selection().join() === id, nodeId);
  }

  async rename(nodeId: string, to: string): Promise<void> {
    await this.select(nodeId);
    const input = this.page.locator('[data-testid=inspector] [data-testid=node-id]');
    await input.fill(to);
    await input.press('Enter');
    await this.page.locator(`[data-node-id="${to}"]`).waitFor();
    await this.settled();
  }

  /** Sets a param through the generated form: a select gets an option, any other field is typed into. */
  async setParam(key: string, value: string): Promise<void> {
    const field = this.page.locator(`[data-testid=inspector] [data-field="params.${key}"]`);
    const select = field.locator('select');
    if (await select.count()) await select.selectOption(value);
    else await field.locator('input, textarea').first().fill(value);
    await this.settled();
  }

  async document(): Promise<Pipeline> {
    return this.page.evaluate(() => (window as unknown as { tesseraEditor: Hooks }).tesseraEditor.document());
  }

  async errors(): Promise<CodedError[]> {
    return this.page.evaluate(() => (window as unknown as { tesseraEditor: Hooks }).tesseraEditor.errors());
  }

  /** Waits until the last edit was checked by the API and drawn. */
  async settled(): Promise<void> {
    await this.page.waitForTimeout(400); // the validation debounce (350 ms) must have started
    await this.page.waitForFunction(() => !(window as unknown as { tesseraEditor?: Hooks }).tesseraEditor?.checking());
    await this.page.evaluate(() => (window as unknown as { tesseraEditor: Hooks }).tesseraEditor.idle());
  }

  async save(): Promise<number> {
    const before = await this.page.evaluate(() => (window as unknown as { tesseraEditor: Hooks }).tesseraEditor.version() ?? 0);
    await this.page.locator('[data-testid=save]').click();
    await this.page.waitForFunction((v) => ((window as unknown as { tesseraEditor: Hooks }).tesseraEditor.version() ?? 0) > v, before);
    await this.settled();
    return this.page.evaluate(() => (window as unknown as { tesseraEditor: Hooks }).tesseraEditor.version()!);
  }
}
