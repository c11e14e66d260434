/**
 * The baseline: plain Temporal workflows with no Tessera in them, bundled on their own and run by their
 * own worker (activities: bare-activities.ts). Same shapes as the Tessera pipelines they are compared with.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

export interface BareActivities {
  noop(text: string): Promise<string>;
  sleep(ms: number): Promise<void>;
  pick(json: unknown, path: string): Promise<string>;
  template(template: string, values: Record<string, string>): Promise<string>;
  join(items: string[], separator: string): Promise<string>;
}

const { noop, sleep, pick, template, join } = proxyActivities<BareActivities>({ startToCloseTimeout: '5m' });
const local = proxyLocalActivities<BareActivities>({ startToCloseTimeout: '30s' });

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

/**
 * The work of bench-nodes.ts textChainPipeline as `length` regular activities in sequence: pick a name
 * out of JSON, then alternately fill a template with the text so far and join it with the name.
 */
export async function bareTextChain(length: number, doc: unknown): Promise<string> {
  const name = await pick(doc, 'patient.name');
  let text = name;
  for (let i = 1; i < length; i++) text = i % 2 ? await template('Dear {{x}},', { x: text }) : await join([text, name], ' ');
  return text;
}

/** The same as `length` local activities: what the SDK's local activities cost without Tessera. */
export async function bareLocalTextChain(length: number, doc: unknown): Promise<string> {
  const name = await local.pick(doc, 'patient.name');
  let text = name;
  for (let i = 1; i < length; i++) text = i % 2 ? await local.template('Dear {{x}},', { x: text }) : await local.join([text, name], ' ');
  return text;
}

/** The same work done in the workflow itself, no activity at all: the least a run of it can cost. */
export async function bareInlineTextChain(length: number, doc: unknown): Promise<string> {
  const name = String((doc as { patient: { name: string } }).patient.name);
  let text = name;
  for (let i = 1; i < length; i++) text = i % 2 ? `Dear ${text},` : [text, name].join(' ');
  return text;
}
