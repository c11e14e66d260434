/**
 * The baseline: plain Temporal workflows with no Tessera in them, bundled on their own and run by their
 * own worker. Same shapes as the Tessera pipelines they are compared with.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface BareActivities {
  noop(text: string): Promise<string>;
  sleep(ms: number): Promise<void>;
}

const { noop, sleep } = proxyActivities<BareActivities>({ startToCloseTimeout: '5m' });

/** `length` no-op activities in sequence, passing a string along. */
export async function bareChain(length: number, text: string): Promise<string> {
  let value = text;
  for (let i = 0; i < length; i++) value = await noop(value);
  return value;
}

/** `width` activities at once, each waiting `ms`. */
export async function bareFanOut(width: number, ms: number): Promise<number> {
  await Promise.all(Array.from({ length: width }, () => sleep(ms)));
  return width;
}
