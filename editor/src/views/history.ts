/**
 * Undo/redo over whole documents. Typing in one field makes one step, not one per key: a change with the
 * same `group` within a second and a half replaces the step instead of adding one.
 */
import type { Pipeline } from '../../../engine/pipeline/schema.ts';

export class History {
  private past: Pipeline[] = [];
  private future: Pipeline[] = [];
  private lastGroup: string | undefined;
  private lastAt = 0;

  record(before: Pipeline, group?: string): void {
    const now = Date.now();
    const merge = group !== undefined && group === this.lastGroup && now - this.lastAt < 1500;
    if (!merge) this.past.push(before);
    if (this.past.length > 200) this.past.shift();
    this.future = [];
    this.lastGroup = group;
    this.lastAt = now;
  }

  undo(current: Pipeline): Pipeline | undefined {
    const previous = this.past.pop();
    if (previous) this.future.push(current);
    this.lastGroup = undefined;
    return previous;
  }

  redo(current: Pipeline): Pipeline | undefined {
    const next = this.future.pop();
    if (next) this.past.push(current);
    this.lastGroup = undefined;
    return next;
  }

  clear(): void {
    this.past = [];
    this.future = [];
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }
}
