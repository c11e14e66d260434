/**
 * An in-process chat provider billed at OpenAI's list prices, for runs under a budget that need no HTTP
 * server (the recorded histories of budgeted runs): every answer reports the same usage, priced from the
 * price table as a real provider's would be, after `delayMs` (so parallel calls overlap).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatResult, Provider, Providers } from '../../engine/providers/types.ts';
import { withCost } from '../../engine/providers/usage.ts';
import { createProviders } from '../../engine/providers/index.ts';

export function pricedProvider(options: { name?: string; delayMs?: number; inputTokens?: number; outputTokens?: number } = {}): Provider {
  const name = options.name ?? 'priced';
  return {
    name,
    pricing: 'openai',
    chat: {
      defaultModel: 'gpt-4o-mini',
      imageLimits: () => ({ formats: ['png', 'jpeg'] }),
      async chat(request): Promise<ChatResult> {
        await sleep(options.delayMs ?? 0, undefined, { signal: request.signal });
        const usage = withCost({ provider: name, model: request.model, inputTokens: options.inputTokens ?? 100, outputTokens: options.outputTokens ?? 20 }, 'openai');
        return { text: `answer of ${request.model}`, usage };
      },
    },
  };
}

/** A worker's providers with only the priced double. */
export function pricedProviders(options: Parameters<typeof pricedProvider>[0] = {}): Providers {
  return createProviders({}, undefined, [pricedProvider(options)]);
}
