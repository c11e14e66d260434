/**
 * The provider call path of a node under a budget or an output-token limit: the `Providers` a node gets
 * in its context, wrapped so that every call
 *
 *   1. carries the node's output limit (its `maxOutputTokens` option lowers the request's maxTokens; a
 *      budgeted call without any limit is sent with 4,096, so its estimate is a bound),
 *   2. is estimated from the request as it will be sent (estimate-call.ts),
 *   3. asks the run's ledger, held by the workflow, for that much (a Temporal update), and is refused
 *      with BUDGET_EXCEEDED before anything is sent when the run would go over its budget,
 *   4. settles its reservation with the actual cost from its usage afterwards (a call that failed before
 *      the provider could charge for it settles at 0; one that may have been charged, at its estimate).
 *
 * Calls to providers that bill through no vendor of the price table (local servers, tesseract) are not
 * counted. A model missing from the table cannot be bounded, so under a budget it is refused
 * (BUDGET_PRICE_UNKNOWN).
 */
import { NodeError } from '../node-sdk/define-node.ts';
import type { Logger } from '../logger.ts';
import type { Capability, ChatCapability, EmbedCapability, OcrCapability, Provider, Providers, StructuredCapability, TranscribeCapability, Usage } from '../providers/types.ts';
import type { BudgetReserveAnswer, BudgetReserveRequest, BudgetSettleRequest } from '../../workflows/budget-ledger.ts';
import { chatShape, describeAmounts, describeCall, embedShape, ESTIMATE_RULES, formatUsd, ocrShape, priceCall, transcribeShape, type CallShape } from './estimate-call.ts';

/** The run's ledger as a node sees it (ledger-client.ts: Temporal updates to the run's workflow). */
export interface BudgetLedger {
  reserve(request: BudgetReserveRequest): Promise<BudgetReserveAnswer>;
  settle(request: BudgetSettleRequest): Promise<unknown>;
}

export interface GuardOptions {
  nodeId: string;
  attempt: number;
  /** The node's limit on output tokens per call. */
  maxOutputTokens?: number;
  /** The run's ledger; unset: the run has no budget. */
  ledger?: BudgetLedger;
  log?: Logger;
}

/** Failures that happen before the provider could charge anything: their reservation settles at 0. */
const NOT_CHARGED = new Set(['PROVIDER_NOT_CONFIGURED', 'CAPABILITY_UNSUPPORTED', 'PROVIDER_MEDIA_UNSUPPORTED', 'PROVIDER_ERROR']);

export function guardProviders(inner: Providers, options: GuardOptions): Providers {
  if (!options.ledger && options.maxOutputTokens === undefined) return inner;
  return {
    names: () => inner.names(),
    offers: (name, capability) => inner.offers(name, capability),
    pricing: (name) => inner.pricing?.(name),
    require<C extends Capability>(name: string, capability: C): NonNullable<Provider[C]> {
      const found = inner.require(name, capability);
      return guardCapability(found, capability, name, inner.pricing?.(name), options) as NonNullable<Provider[C]>;
    },
  };
}

/** The request's output limit with the node's applied; a budgeted call always gets one. */
export function outputLimit(requested: number | undefined, nodeLimit: number | undefined, budgeted: boolean): number | undefined {
  let limit = requested;
  if (nodeLimit !== undefined) limit = Math.min(limit ?? nodeLimit, nodeLimit);
  if (limit === undefined && budgeted) limit = ESTIMATE_RULES.defaultMaxOutputTokens;
  return limit;
}

function guardCapability(found: unknown, capability: Capability, provider: string, vendor: string | undefined, options: GuardOptions): unknown {
  // The wrapper inherits everything else (defaults, image limits, maxBatch...) from the capability itself.
  const wrap = <T extends object>(overrides: Partial<T>): T => Object.assign(Object.create(found as T) as T, overrides);
  const guarded = <R extends { usage: Usage }>(shape: CallShape, call: () => Promise<R>) => spend(shape, vendor, options, call);
  switch (capability) {
    case 'chat': {
      const chat = found as ChatCapability;
      return wrap<ChatCapability>({
        chat: (request) => {
          const maxTokens = outputLimit(request.maxTokens, options.maxOutputTokens, !!options.ledger);
          const limited = maxTokens === request.maxTokens ? request : { ...request, maxTokens };
          return guarded(chatShape(provider, 'chat', limited, maxTokens ?? 0), () => chat.chat(limited));
        },
      });
    }
    case 'structured': {
      const structured = found as StructuredCapability;
      return wrap<StructuredCapability>({
        structured: (request) => {
          const maxTokens = outputLimit(request.maxTokens, options.maxOutputTokens, !!options.ledger);
          const limited = maxTokens === request.maxTokens ? request : { ...request, maxTokens };
          return guarded(chatShape(provider, 'structured', limited, maxTokens ?? 0), () => structured.structured(limited));
        },
      });
    }
    case 'transcribe': {
      const stt = found as TranscribeCapability;
      return wrap<TranscribeCapability>({ transcribe: (request) => guarded(transcribeShape(provider, request), () => stt.transcribe(request)) });
    }
    case 'embed': {
      const embed = found as EmbedCapability;
      return wrap<EmbedCapability>({ embed: (request) => guarded(embedShape(provider, request), () => embed.embed(request)) });
    }
    case 'ocr': {
      const ocr = found as OcrCapability;
      return wrap<OcrCapability>({ recognize: (request) => guarded(ocrShape(provider, request), () => ocr.recognize(request)) });
    }
    default:
      return found;
  }
}

async function spend<R extends { usage: Usage }>(shape: CallShape, vendor: string | undefined, options: GuardOptions, call: () => Promise<R>): Promise<R> {
  const { ledger, nodeId } = options;
  if (!ledger) return call();
  const priced = priceCall(shape, vendor);
  if (priced.unpriced === 'no-vendor') return call(); // a local or unpriced server: nothing to count
  if (priced.usd === undefined) {
    throw new NodeError(
      'BUDGET_PRICE_UNKNOWN',
      `Node "${nodeId}" stopped before calling ${describeCall(shape)}: the run has a budget, and "${shape.model}" is not in ${vendor}'s price table (engine/providers/prices.json), so the call's cost cannot be bounded. Nothing was sent. Add the model's prices to the table, or use a model it lists.`,
      { retryable: false, details: { nodeId, provider: shape.provider, model: shape.model, operation: shape.operation, vendor } },
    );
  }
  const estimateUsd = priced.usd;
  let answer: BudgetReserveAnswer;
  try {
    answer = await ledger.reserve({ nodeId, attempt: options.attempt, estimateUsd, call: describeCall(shape) });
  } catch (err) {
    // Without an allowance the call is not made; the attempt is retried (the workflow may be busy or moving).
    throw new NodeError('BUDGET_UNAVAILABLE', `Node "${nodeId}" could not reserve its call's estimated cost with the run's budget ledger: ${(err as Error)?.message ?? String(err)}`, { retryable: true });
  }
  if (!answer.granted) {
    throw new NodeError(
      'BUDGET_EXCEEDED',
      `Node "${nodeId}" stopped before calling ${describeCall(shape)}: the call is estimated at ${formatUsd(estimateUsd)} (${describeAmounts(shape)}), ` +
        `and ${formatUsd(answer.remainingUsd)} of the run's ${formatUsd(answer.budgetUsd)} budget is left (${formatUsd(answer.spentUsd)} spent, ${formatUsd(answer.heldUsd)} held by calls in progress). ` +
        'Nothing was sent. Raise the budget, or lower the node\'s output limit (maxTokens, options.maxOutputTokens).',
      {
        retryable: false,
        details: {
          nodeId, provider: shape.provider, model: shape.model, operation: shape.operation, estimateUsd, remainingUsd: answer.remainingUsd,
          budgetUsd: answer.budgetUsd, spentUsd: answer.spentUsd, heldUsd: answer.heldUsd, inputTokens: shape.inputTokens, maxOutputTokens: shape.maxOutputTokens,
          ...(shape.images ? { images: shape.images } : {}), ...(shape.audioSeconds ? { audioSeconds: shape.audioSeconds } : {}),
        },
      },
    );
  }
  let costUsd = estimateUsd;
  try {
    const result = await call();
    costUsd = result.usage.costUsd ?? estimateUsd; // the actual cost at list prices; the estimate when the usage says nothing
    return result;
  } catch (err) {
    if (!chargedFor(err)) costUsd = 0;
    throw err;
  } finally {
    await ledger.settle({ reservationId: answer.reservationId, costUsd }).catch((err: unknown) => {
      // The reservation stays held at its estimate: the run may spend less than it could, never more.
      options.log?.warn({ err, reservationId: answer.reservationId }, 'could not settle a budget reservation');
    });
  }
}

/**
 * Whether a failed call may have been charged: not when the provider answered with an error status (it
 * refused before generating) or when the request was never sent; otherwise (timeouts, dropped
 * connections, truncated or unreadable answers) it may have been, and it counts at its estimate.
 */
function chargedFor(err: unknown): boolean {
  if (!(err instanceof NodeError)) return true;
  if (NOT_CHARGED.has(err.code)) return false;
  return typeof (err.options.details as { status?: unknown } | undefined)?.status !== 'number';
}
