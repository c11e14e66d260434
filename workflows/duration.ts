import { ApplicationFailure } from '@temporalio/workflow';

/** A duration as the pipeline file writes it ("500ms", "30s", "5m", "1h") in milliseconds. */
export function durationMs(duration: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(duration);
  if (!match) throw ApplicationFailure.nonRetryable(`Not a duration: "${duration}".`, 'PARAMS_INVALID');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}
