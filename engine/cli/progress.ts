/**
 * Live per-node progress. On a terminal: one progress bar per task node (cli-progress). Otherwise: one
 * plain line on stderr each time a node changes status, which logs and tests can read.
 */
import cliProgress from 'cli-progress';
import type { NodeState } from '../run/plan.ts';
import { describeRetry, type RetryState } from './retries.ts';

export interface ProgressView {
  update(states: Record<string, NodeState>): void;
  fraction(nodeId: string, fraction: number, message?: string): void;
  /** Nodes between attempts (or retrying): attempt N/M, the wait before the next one, the last error. */
  retries(states: Map<string, RetryState>): void;
  /** A line of its own (above the bars on a terminal). */
  log(line: string): void;
  stop(): void;
}

export function createProgressView(nodeIds: string[], stream: NodeJS.WriteStream = process.stderr): ProgressView {
  return stream.isTTY ? new BarsView(nodeIds, stream) : new LinesView(nodeIds, stream);
}

class LinesView implements ProgressView {
  private readonly last = new Map<string, string>();
  private readonly lastRetry = new Map<string, string>();
  constructor(
    private readonly nodeIds: string[],
    private readonly stream: NodeJS.WritableStream,
  ) {}

  update(states: Record<string, NodeState>): void {
    for (const [nodeId, state] of Object.entries(states)) {
      if (!this.nodeIds.includes(nodeId) || this.last.get(nodeId) === state.status || state.status === 'pending') continue;
      this.last.set(nodeId, state.status);
      const extra = state.error ? `: ${state.error.message}` : state.cached ? ' (cached: not run, nothing charged)' : state.attempt && state.attempt > 1 ? ` (attempt ${state.attempt})` : waitingFor(state);
      this.stream.write(`node ${nodeId} ${state.status}${extra}\n`);
    }
  }

  fraction(): void {}

  /** One line per new attempt; a wait is shown when the attempt is first seen waiting. */
  retries(states: Map<string, RetryState>): void {
    for (const [nodeId, state] of states) {
      const key = `attempt ${state.attempt}`;
      if (!this.nodeIds.includes(nodeId) || this.lastRetry.get(nodeId) === key) continue;
      this.lastRetry.set(nodeId, key);
      this.stream.write(`node ${nodeId} retrying: ${describeRetry(state)}\n`);
    }
  }

  log(line: string): void {
    this.stream.write(`${line}\n`);
  }
  stop(): void {}
}

/** What a waiting node waits for: a person's approval, or a time. */
function waitingFor(state: NodeState): string {
  if (state.status !== 'waiting') return '';
  if (state.approval) return ` for approval${state.waitingUntil ? ` (until ${state.waitingUntil})` : ''}`;
  return state.waitingUntil ? ` until ${state.waitingUntil}` : '';
}

class BarsView implements ProgressView {
  private readonly multibar: cliProgress.MultiBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();

  constructor(nodeIds: string[], stream: NodeJS.WriteStream) {
    const width = Math.max(...nodeIds.map((id) => id.length), 4);
    this.multibar = new cliProgress.MultiBar(
      { stream, format: `{node} {bar} {percentage}% {status}`, hideCursor: true, clearOnComplete: false, barsize: 24 },
      cliProgress.Presets.shades_classic,
    );
    for (const id of nodeIds) this.bars.set(id, this.multibar.create(1, 0, { node: id.padEnd(width), status: 'pending' }));
  }

  update(states: Record<string, NodeState>): void {
    for (const [nodeId, state] of Object.entries(states)) {
      const bar = this.bars.get(nodeId);
      if (!bar) continue;
      const status = state.error ? `failed: ${state.error.message.slice(0, 60)}` : state.cached ? 'cached (not run, nothing charged)' : `${state.status}${waitingFor(state)}`;
      if (state.status === 'succeeded') bar.update(1, { status });
      else if (state.items?.total) bar.update(state.items.done / state.items.total, { status: `${state.items.done} / ${state.items.total} items${state.items.failed ? `, ${state.items.failed} failed` : ''}` });
      else bar.update({ status });
    }
  }

  fraction(nodeId: string, fraction: number, message?: string): void {
    this.bars.get(nodeId)?.update(Math.min(Math.max(fraction, 0), 1), { status: message ?? 'running' });
  }

  retries(states: Map<string, RetryState>): void {
    for (const [nodeId, state] of states) this.bars.get(nodeId)?.update({ status: describeRetry(state).slice(0, 100) });
  }

  log(line: string): void {
    this.multibar.log(`${line}\n`);
  }

  stop(): void {
    this.multibar.stop();
  }
}
