/**
 * What one provider call may cost, estimated before it is made, from the request and the dated price
 * table (engine/providers/prices.json). The rules are simple on purpose, so a user can redo the sum:
 *
 *   input tokens   characters of text / 4 (system prompt, every text part, a structured call's JSON
 *                  Schema, embedding texts, a transcription prompt), plus 4 per message, plus 1,600 per
 *                  image: about the most a vision model bills for one image once Tessera has fitted it
 *                  to the provider's limits (OpenAI high detail at most 1,445 tokens, Anthropic about
 *                  1,550). A model the table prices per image (`perImage`) is charged that instead.
 *   output tokens  the call's output limit: its maxTokens, lowered by the node's `maxOutputTokens`
 *                  option; a budgeted call without either is sent with 4,096 (guarded-providers.ts), so
 *                  the output part is a bound, never a guess.
 *   audio          the duration the node measured with ffprobe, else bytes / 2,000 (16 kbit/s, below
 *                  usual speech encodings, so an over-estimate), at the model's `audioPerMinute`.
 *
 * The input part is an estimate (tokenisers differ; chars / 4 suits English), so a call may cost a
 * little more or less than its estimate; the output part, usually the larger, is exact as a maximum.
 */
import { mediaBytes, type ChatRequest, type EmbedRequest, type OcrRequest, type StructuredRequest, type TranscribeRequest } from '../providers/types.ts';
import { PRICES, priceOf, type PriceTable } from '../providers/usage.ts';

export const ESTIMATE_RULES = Object.freeze({
  charsPerToken: 4,
  tokensPerMessage: 4,
  tokensPerImage: 1600,
  audioBytesPerSecond: 2000,
  /** The output limit a budgeted call without one is sent with. */
  defaultMaxOutputTokens: 4096,
});

export type CallOperation = 'chat' | 'structured' | 'transcribe' | 'embed' | 'ocr';

/** A call as the estimate sees it: token, image and audio amounts, for one provider and model. */
export interface CallShape {
  provider: string;
  model: string;
  operation: CallOperation;
  inputTokens: number;
  images: number;
  audioSeconds: number;
  maxOutputTokens: number;
}

export interface PricedCall extends CallShape {
  /** The vendor whose prices apply (the provider's `pricing`). */
  vendor?: string;
  /** The call at its maximum: input plus every output token it may generate. */
  usd?: number;
  /** The input part alone: what the call costs if it answers nothing. */
  inputUsd?: number;
  /** Why there is no price: the provider bills through no vendor of the table (a local server), or the table lacks the model. */
  unpriced?: 'no-vendor' | 'not-in-table';
}

export function textTokens(chars: number): number {
  return Math.ceil(chars / ESTIMATE_RULES.charsPerToken);
}

export function chatShape(provider: string, operation: 'chat' | 'structured', request: ChatRequest | StructuredRequest, maxOutputTokens: number): CallShape {
  let chars = request.system?.length ?? 0;
  let images = 0;
  for (const message of request.messages) {
    for (const part of message.content) {
      if (part.type === 'text') chars += part.text.length;
      else images += 1;
    }
  }
  if ('schema' in request) chars += JSON.stringify(request.schema).length;
  const messages = request.messages.length + (request.system ? 1 : 0);
  return { provider, model: request.model, operation, inputTokens: textTokens(chars) + messages * ESTIMATE_RULES.tokensPerMessage, images, audioSeconds: 0, maxOutputTokens };
}

export function transcribeShape(provider: string, request: TranscribeRequest): CallShape {
  const audioSeconds = request.durationSeconds ?? mediaBytes(request.audio) / ESTIMATE_RULES.audioBytesPerSecond;
  return { provider, model: request.model, operation: 'transcribe', inputTokens: textTokens(request.prompt?.length ?? 0), images: 0, audioSeconds, maxOutputTokens: 0 };
}

export function embedShape(provider: string, request: EmbedRequest): CallShape {
  const chars = request.inputs.reduce((sum, input) => sum + (input.type === 'text' ? input.text.length : 0), 0);
  const images = request.inputs.filter((input) => input.type === 'image').length;
  return { provider, model: request.model, operation: 'embed', inputTokens: textTokens(chars), images, audioSeconds: 0, maxOutputTokens: 0 };
}

export function ocrShape(provider: string, _request: OcrRequest): CallShape {
  return { provider, model: 'ocr', operation: 'ocr', inputTokens: 0, images: 1, audioSeconds: 0, maxOutputTokens: 0 };
}

/** The call's cost range at list prices; no `usd` when the vendor or model is not in the table. */
export function priceCall(shape: CallShape, vendor: string | undefined, table: PriceTable = PRICES): PricedCall {
  if (!vendor) return { ...shape, unpriced: 'no-vendor' };
  const price = priceOf(vendor, shape.model, table);
  if (!price) return { ...shape, vendor, unpriced: 'not-in-table' };
  let input = 0;
  if (shape.audioSeconds > 0) {
    if (price.audioPerMinute === undefined) return { ...shape, vendor, unpriced: 'not-in-table' };
    input += (shape.audioSeconds / 60) * price.audioPerMinute;
  }
  const imageTokens = price.perImage === undefined ? shape.images * ESTIMATE_RULES.tokensPerImage : 0;
  input += ((shape.inputTokens + imageTokens) * (price.inputPer1M ?? 0)) / 1e6;
  input += shape.images * (price.perImage ?? 0);
  const output = (shape.maxOutputTokens * (price.outputPer1M ?? 0)) / 1e6;
  return { ...shape, vendor, inputUsd: roundUsd(input), usd: roundUsd(input + output) };
}

/** "$0.002643", "$1.50": enough digits to see a small call's cost, no float noise. */
export function formatUsd(n: number): string {
  if (n >= 1) return `$${n.toFixed(2)}`;
  const fixed = n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  if (fixed !== '0' || n === 0) return `$${fixed}`;
  return `$${n.toFixed(9).replace(/0+$/, '')}`;
}

/** "openai gpt-4o-mini chat" */
export function describeCall(shape: CallShape): string {
  return `${shape.provider} ${shape.model} ${shape.operation}`;
}

/** "1,234 input tokens + 1 image + up to 4,096 output tokens" */
export function describeAmounts(shape: CallShape): string {
  const parts = [`${shape.inputTokens.toLocaleString('en-US')} input tokens`];
  if (shape.images) parts.push(`${shape.images} image${shape.images === 1 ? '' : 's'}`);
  if (shape.audioSeconds) parts.push(`${shape.audioSeconds.toFixed(1)} s of audio`);
  if (shape.maxOutputTokens) parts.push(`up to ${shape.maxOutputTokens.toLocaleString('en-US')} output tokens`);
  return parts.join(' + ');
}

function roundUsd(n: number): number {
  return Math.round(n * 1e9) / 1e9;
}
