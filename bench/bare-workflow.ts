/**
 * The baseline: a plain Temporal workflow with no Tessera in it, bundled on its own and run by its own
 * worker. It calls `length` no-op activities in sequence, passing a string along.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface BareActivities {
  noop(text: string): Promise<string>;
}

const { noop } = proxyActivities<BareActivities>({ startToCloseTimeout: '5m' });

export async function bareChain(length: number, text: string): Promise<string> {
  let value = text;
  for (let i = 0; i < length; i++) value = await noop(value);
  return value;
}
