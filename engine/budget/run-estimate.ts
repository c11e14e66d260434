/**
 * What a run may cost, before it starts (`tessera run --estimate`, `POST /pipelines/:id/estimate`).
 *
 * Walks the plan in graph order carrying the size of every value (characters of text, list items, audio
 * seconds, pages): the run's inputs measured (text lengths, audio durations from ffprobe), or assumed when
 * not given; each provider-backed node's `estimate` turns the sizes of its inputs into the calls it will
 * make; the outputs of a provider call are sized by its output limit. Each call is priced with the rules of
 * the check made before every real call (estimate-call.ts), so:
 *
 *   max   every call at its estimated input and its whole output limit, repair turns included;
 *   min   every call's input only, and nothing for nodes the output cache may answer (this run's cache
 *         mode lets them read it), whose outputs then cost nothing.
 *
 * Calls whose price is unknown (a provider billed by no vendor of the table, a model missing from it) are
 * listed apart, never counted as free.
 */
import { isBlobRef, type BlobRef } from '../blob/ref.ts';
import type { CallForecast, InputSizes, NodeForecast, ValueSize } from '../node-sdk/forecast.ts';
import type { ValidPipeline } from '../pipeline/validate.ts';
import type { Providers } from '../providers/types.ts';
import { PRICES } from '../providers/usage.ts';
import { pipelineInputs } from '../run/inputs.ts';
import type { PlanNode, RunPlan } from '../run/plan.ts';
import { ESTIMATE_RULES, priceCall, textTokens, type CallShape } from './estimate-call.ts';
import { outputLimit } from './guarded-providers.ts';

/** What is assumed of a run input that is not given (or cannot be measured). */
export const ASSUMED = Object.freeze({ textChars: 4000, audioSeconds: 60, pdfPages: 10, listItems: 1, speechCharsPerSecond: 15 });

/** The defaults OpenAIProvider and AnthropicProvider declare (a test keeps them equal), for estimates made without the worker's providers. */
export const DEFAULT_MODELS: Record<string, Partial<Record<NonNullable<CallForecast['job']>, string>>> = {
  openai: { chat: 'gpt-4o-mini', vision: 'gpt-4o', structured: 'gpt-4o', transcribe: 'whisper-1', embed: 'text-embedding-3-small' },
  anthropic: { chat: 'claude-sonnet-4-6', vision: 'claude-sonnet-4-6', structured: 'claude-sonnet-4-6' },
};

export interface CallEstimate {
  provider: string;
  model: string;
  operation: CallShape['operation'];
  calls: { min: number; max: number };
  /** Per call. */
  inputTokens: number;
  images: number;
  audioSeconds: number;
  maxOutputTokens: number;
  /** One call at its maximum, and its input part alone. */
  usdPerCall?: number;
  inputUsdPerCall?: number;
  unpriced?: 'no-vendor' | 'not-in-table';
}

export interface NodeEstimate {
  nodeId: string;
  type: string;
  minUsd: number;
  maxUsd: number;
  /** The output cache may answer the node in this run (its cache mode reads it): min counts it as free. */
  mayBeCached?: true;
  calls: CallEstimate[];
}

export interface RunEstimate {
  pipelineName: string;
  currency: 'USD';
  /** The date of the price table the figures come from. */
  pricesAsOf: string;
  minUsd: number;
  maxUsd: number;
  /** The run's budget (its own, else the pipeline's), and whether the estimate fits in it. */
  budgetUsd?: number;
  withinBudget?: 'yes' | 'no' | 'maybe';
  /** Nodes with provider calls, in plan order. */
  nodes: NodeEstimate[];
  /** Calls left out of min and max because their price is unknown. */
  unpriced: { nodeId: string; provider: string; model: string; reason: 'no-vendor' | 'not-in-table' }[];
  /** What was assumed rather than measured. */
  assumptions: string[];
}

export interface EstimateOptions {
  /** The worker's providers, when the estimate is made where the run's nodes will run (the local CLI). */
  providers?: Providers;
  /** Seconds of an audio blob (ffprobe); undefined when it cannot be measured. */
  audioSeconds?: (ref: BlobRef) => Promise<number | undefined>;
}

const EMPTY: ValueSize = { chars: 0, items: 0, audioSeconds: 0, pages: 0 };

export async function estimateRun(valid: ValidPipeline, plan: RunPlan, given: Record<string, unknown>, options: EstimateOptions = {}): Promise<RunEstimate> {
  const assumptions = new Set<string>();
  const sizes = new Map<string, Record<string, ValueSize>>(); // node id -> port -> size
  const inputValues = inputsByNode(valid, given);
  const nodes: NodeEstimate[] = [];
  const unpriced: RunEstimate['unpriced'] = [];

  const inputSizes = (node: PlanNode): InputSizes => {
    const result: InputSizes = {};
    for (const input of node.inputs) {
      result[input.port] = input.sources.reduce((acc, s) => add(acc, sizes.get(s.nodeId)?.[s.port] ?? EMPTY), { ...EMPTY });
    }
    return result;
  };

  for (const node of graphOrder(plan.nodes)) {
    const resolved = valid.nodes.get(node.id);
    const outputs = resolved ? Object.keys(resolved.outputs) : [];
    const pinned = 'pinned' in node ? (node.pinned as Record<string, unknown> | undefined) : undefined;
    if (pinned) {
      sizes.set(node.id, Object.fromEntries(Object.entries(pinned).map(([port, value]) => [port, measureSync(value)])));
      continue;
    }
    if (node.role === 'input') {
      const value = inputValues.get(node.id);
      const params = node.params as { name: string; kind: string };
      sizes.set(node.id, { value: await measureInput(value, params.name, params.kind, options, assumptions) });
      continue;
    }
    const inputs = inputSizes(node);
    if (node.role === 'output' || !resolved) {
      sizes.set(node.id, {});
      continue;
    }
    const forecast = forecastOf(resolved.definition.estimate, resolved.params, inputs, node.map?.port);
    if (!forecast || forecast.calls.length === 0) {
      const merged = Object.values(inputs).reduce(add, { ...EMPTY });
      const declared = forecast?.outputs ?? {};
      sizes.set(node.id, Object.fromEntries(outputs.map((port) => [port, { ...merged, ...declared[port] }])));
      continue;
    }
    const estimate: NodeEstimate = { nodeId: node.id, type: node.type, minUsd: 0, maxUsd: 0, calls: [] };
    if (node.cache === 'rw') estimate.mayBeCached = true;
    let outputChars = 0;
    for (const call of forecast.calls) {
      const shape = callShape(call, node, options.providers);
      const priced = priceCall(shape, vendorOf(call.provider, options.providers));
      const entry: CallEstimate = {
        provider: shape.provider, model: shape.model, operation: shape.operation, calls: call.calls, inputTokens: shape.inputTokens,
        images: shape.images, audioSeconds: round(shape.audioSeconds, 1), maxOutputTokens: shape.maxOutputTokens,
        ...(priced.usd !== undefined ? { usdPerCall: priced.usd, inputUsdPerCall: priced.inputUsd } : { unpriced: priced.unpriced }),
      };
      estimate.calls.push(entry);
      if (priced.usd === undefined) unpriced.push({ nodeId: node.id, provider: shape.provider, model: shape.model, reason: priced.unpriced! });
      else {
        estimate.maxUsd += call.calls.max * priced.usd;
        if (!estimate.mayBeCached) estimate.minUsd += call.calls.min * (priced.inputUsd ?? 0);
      }
      outputChars += call.calls.max * shape.maxOutputTokens * ESTIMATE_RULES.charsPerToken;
    }
    estimate.minUsd = roundUsd(estimate.minUsd);
    estimate.maxUsd = roundUsd(estimate.maxUsd);
    nodes.push(estimate);
    const declared = forecast.outputs ?? {};
    sizes.set(node.id, Object.fromEntries(outputs.map((port) => [port, { ...EMPTY, chars: outputChars, items: 1, ...declared[port] }])));
  }

  if (nodes.some((n) => n.calls.some((c) => c.operation === 'chat' || c.operation === 'structured'))) {
    const n = (x: number) => x.toLocaleString('en-US');
    assumptions.add(`text is counted at ${ESTIMATE_RULES.charsPerToken} characters a token and an image at ${n(ESTIMATE_RULES.tokensPerImage)} tokens; a call without an output limit at ${n(ESTIMATE_RULES.defaultMaxOutputTokens)} output tokens (the limit a budget gives it)`);
  }
  const minUsd = roundUsd(nodes.reduce((sum, n) => sum + n.minUsd, 0));
  const maxUsd = roundUsd(nodes.reduce((sum, n) => sum + n.maxUsd, 0));
  const budgetUsd = plan.budget?.usd;
  return {
    pipelineName: plan.pipelineName,
    currency: 'USD',
    pricesAsOf: PRICES.as_of,
    minUsd,
    maxUsd,
    ...(budgetUsd !== undefined ? { budgetUsd, withinBudget: maxUsd <= budgetUsd && !unpriced.some((u) => u.reason === 'not-in-table') ? 'yes' : minUsd > budgetUsd ? 'no' : 'maybe' } : {}),
    nodes,
    unpriced,
    assumptions: [...assumptions],
  };
}

/** The call as the check before a real call would see it: default model, token counts, output limit. */
function callShape(call: CallForecast, node: PlanNode, providers: Providers | undefined): CallShape {
  const job = call.job ?? (call.operation === 'chat' ? ((call.images ?? 0) > 0 ? 'vision' : 'chat') : call.operation);
  const model = call.model ?? defaultModel(call.provider, job, providers) ?? '(the provider\'s default)';
  const chat = call.operation === 'chat' || call.operation === 'structured';
  const messages = call.messages ?? 1;
  return {
    provider: call.provider,
    model,
    operation: call.operation,
    inputTokens: textTokens(call.inputChars) + (chat ? messages * ESTIMATE_RULES.tokensPerMessage : 0),
    images: call.images ?? 0,
    audioSeconds: call.audioSeconds ?? 0,
    maxOutputTokens: chat ? outputLimit(call.maxOutputTokens, node.maxOutputTokens, true)! : 0,
  };
}

function defaultModel(provider: string, job: NonNullable<CallForecast['job']>, providers: Providers | undefined): string | undefined {
  if (providers && job !== 'ocr') {
    const capability = job === 'vision' ? 'chat' : job;
    if (providers.offers(provider, capability)) {
      const found = providers.require(provider, capability) as { defaultModel?: string; defaultVisionModel?: string };
      const model = job === 'vision' ? (found.defaultVisionModel ?? found.defaultModel) : found.defaultModel;
      if (model) return model;
    }
  }
  return DEFAULT_MODELS[provider]?.[job];
}

/** The worker's own pricing when its providers are known; else a provider named after a vendor of the table bills at its prices. */
function vendorOf(provider: string, providers: Providers | undefined): string | undefined {
  if (providers?.names().includes(provider)) return providers.pricing?.(provider);
  return Object.hasOwn(PRICES.vendors, provider) ? provider : undefined;
}

function inputsByNode(valid: ValidPipeline, given: Record<string, unknown>): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const spec of pipelineInputs(valid)) {
    const value = Object.hasOwn(given, spec.name) && given[spec.name] !== undefined ? given[spec.name] : spec.default;
    if (value !== undefined) values.set(spec.nodeId, value);
  }
  return values;
}

async function measureInput(value: unknown, name: string, kind: string, options: EstimateOptions, assumptions: Set<string>): Promise<ValueSize> {
  if (value === undefined) {
    const element = kind.replace(/\[\]$/, '');
    const items = kind.endsWith('[]') ? ASSUMED.listItems : 1;
    const what = element === 'audio' ? `${ASSUMED.audioSeconds} s of audio` : element === 'document' ? `a document of ${ASSUMED.pdfPages} pages` : element === 'image' ? 'one image' : `${ASSUMED.textChars.toLocaleString('en-US')} characters`;
    assumptions.add(`input "${name}" was not given: assumed ${kind.endsWith('[]') ? `${items} item of ` : ''}${what}`);
    return {
      chars: element === 'text' || element === 'json' || element === 'any' ? ASSUMED.textChars * items : 0,
      items,
      audioSeconds: element === 'audio' ? ASSUMED.audioSeconds * items : 0,
      pages: element === 'document' ? ASSUMED.pdfPages * items : element === 'image' ? items : 0,
    };
  }
  const list = Array.isArray(value) && kind.endsWith('[]') ? value : [value];
  let total = { ...EMPTY };
  for (const item of list) {
    let size = measureSync(item);
    if (isBlobRef(item) && item.mime.startsWith('audio/')) {
      const seconds = await options.audioSeconds?.(item).catch(() => undefined);
      if (seconds === undefined) assumptions.add(`the length of audio input "${name}" could not be measured: assumed ${ESTIMATE_RULES.audioBytesPerSecond} bytes a second`);
      size = { ...size, audioSeconds: seconds ?? item.size / ESTIMATE_RULES.audioBytesPerSecond };
    }
    if (isBlobRef(item) && item.mime === 'application/pdf') {
      assumptions.add(`the PDF of input "${name}" is counted as ${ASSUMED.pdfPages} pages`);
      size = { ...size, pages: ASSUMED.pdfPages };
    }
    total = add(total, size);
  }
  return { ...total, items: list.length };
}

function measureSync(value: unknown): ValueSize {
  if (value === undefined || value === null) return { ...EMPTY, items: 1 };
  if (typeof value === 'string') return { ...EMPTY, chars: value.length, items: 1 };
  if (isBlobRef(value)) return { ...EMPTY, items: 1, pages: value.mime.startsWith('image/') ? 1 : 0 };
  const spilled = (value as { $spilled?: { size?: number } }).$spilled;
  if (spilled) return { ...EMPTY, chars: spilled.size ?? 0, items: 1 };
  if (Array.isArray(value)) return { ...value.map(measureSync).reduce(add, { ...EMPTY }), items: value.length };
  return { ...EMPTY, chars: JSON.stringify(value).length, items: 1 };
}

function add(a: ValueSize, b: ValueSize): ValueSize {
  return { chars: a.chars + b.chars, items: a.items + b.items, audioSeconds: a.audioSeconds + b.audioSeconds, pages: a.pages + b.pages };
}

/** Nodes with their sources first (the plan is a DAG; validation refused cycles). */
function graphOrder(nodes: readonly PlanNode[]): PlanNode[] {
  const done = new Set<string>();
  const order: PlanNode[] = [];
  let left = [...nodes];
  while (left.length) {
    const ready = left.filter((n) => n.inputs.every((i) => i.sources.every((s) => done.has(s.nodeId) || !nodes.some((m) => m.id === s.nodeId))));
    if (!ready.length) break;
    for (const n of ready) {
      done.add(n.id);
      order.push(n);
    }
    left = left.filter((n) => !done.has(n.id));
  }
  return order;
}

function roundUsd(n: number): number {
  return Math.round(n * 1e9) / 1e9;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * A node's forecast; for a mapped node, one item's forecast (the mapped input divided evenly among its
 * items) with every call count multiplied by the number of items, and outputs as lists of them.
 */
function forecastOf(
  estimate: ((params: unknown, inputs: InputSizes) => NodeForecast) | undefined,
  params: unknown,
  inputs: InputSizes,
  mappedPort: string | undefined,
): NodeForecast | undefined {
  if (!estimate) return undefined;
  const list = mappedPort ? inputs[mappedPort] : undefined;
  if (!list) return estimate(params, inputs);
  const items = Math.max(list.items, 0);
  const share = (n: number) => (items ? n / items : 0);
  const one = estimate(params, { ...inputs, [mappedPort!]: { chars: share(list.chars), items: items ? 1 : 0, audioSeconds: share(list.audioSeconds), pages: share(list.pages) } });
  return {
    ...one,
    calls: one.calls.map((call) => ({ ...call, calls: { min: call.calls.min * items, max: call.calls.max * items } })),
    ...(one.outputs ? { outputs: Object.fromEntries(Object.entries(one.outputs).map(([port, size]) => [port, { ...size, items }])) } : {}),
  };
}
