/**
 * The `Providers` a node gets, wrapped so that every call to a provider with a rate limit
 * (TESSERA_RATE_LIMITS) first takes a slot of that limit, shared by every worker of the store
 * (rate-limiter.ts). This is the one place provider calls go through: nodes reach providers only by
 * `ctx.providers.require(name, capability)` and the capabilities' call methods, which are wrapped here.
 * The budget guard (engine/budget/guarded-providers.ts) wraps this in turn, so a call reserves its cost
 * first and takes its slot only when it is about to be sent.
 */
import type { Capability, ChatCapability, EmbedCapability, OcrCapability, Provider, Providers, StructuredCapability, TranscribeCapability } from '../providers/types.ts';
import type { RateLimiter, WaitOptions } from './rate-limiter.ts';

export function rateLimitProviders(inner: Providers, limiter: RateLimiter | undefined, options: WaitOptions): Providers {
  if (!limiter) return inner;
  return {
    names: () => inner.names(),
    offers: (name, capability) => inner.offers(name, capability),
    pricing: (name) => inner.pricing?.(name),
    require<C extends Capability>(name: string, capability: C): NonNullable<Provider[C]> {
      const found = inner.require(name, capability);
      if (!limiter.limitOf(name)) return found;
      return limitCapability(found, capability, (signal, call) => limiter.run(name, call, { ...options, signal: signal ?? options.signal })) as NonNullable<Provider[C]>;
    },
  };
}

type InSlot = <R>(signal: AbortSignal | undefined, call: () => Promise<R>) => Promise<R>;

function limitCapability(found: unknown, capability: Capability, inSlot: InSlot): unknown {
  // Everything but the call (defaults, image limits, maxBatch...) is inherited from the capability itself.
  const wrap = <T extends object>(overrides: Partial<T>): T => Object.assign(Object.create(found as T) as T, overrides);
  switch (capability) {
    case 'chat': {
      const chat = found as ChatCapability;
      return wrap<ChatCapability>({ chat: (request) => inSlot(request.signal, () => chat.chat(request)) });
    }
    case 'structured': {
      const structured = found as StructuredCapability;
      return wrap<StructuredCapability>({ structured: (request) => inSlot(request.signal, () => structured.structured(request)) });
    }
    case 'transcribe': {
      const stt = found as TranscribeCapability;
      return wrap<TranscribeCapability>({ transcribe: (request) => inSlot(request.signal, () => stt.transcribe(request)) });
    }
    case 'embed': {
      const embed = found as EmbedCapability;
      return wrap<EmbedCapability>({ embed: (request) => inSlot(request.signal, () => embed.embed(request)) });
    }
    case 'ocr': {
      const ocr = found as OcrCapability;
      return wrap<OcrCapability>({ recognize: (request) => inSlot(request.signal, () => ocr.recognize(request)) });
    }
    default: {
      // A capability added to types.ts must be wrapped here too, or its calls would skip the limit.
      const never: never = capability;
      throw new Error(`rate limits do not know capability ${String(never)}`);
    }
  }
}
