/**
 * A Provider on the official `@anthropic-ai/sdk`: chat (with base64 image blocks) and structured
 * output. Claude has no structured-output mode of the OpenAI kind, so we force a single tool whose
 * input schema is the wanted schema: the tool_use block's `input` is the answer. No transcription
 * and no embeddings.
 *
 * `temperature` is not sent: the Messages API version this SDK speaks has no sampling parameters.
 * `detail` on images is an OpenAI notion and is ignored here. The client runs with `maxRetries: 0`
 * (Temporal retries; errors.ts classifies).
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { ContentBlockParam, Message, MessageCreateParamsNonStreaming, MessageParam } from '@anthropic-ai/sdk/resources/messages/messages';
import { anthropicSdkLoaded, callProvider, providerError, safeBaseURL, type CallContext } from './errors.ts';
import { chatImageType, NO_AUTH_HEADERS, objectSchema, wireName } from './encode.ts';
import { ANTHROPIC_IMAGE_LIMITS } from './image-limits.ts';
import { withCost } from './usage.ts';
import type { ChatCapability, ChatRequest, ChatResult, Provider, StructuredCapability, StructuredRequest, StructuredResult, Usage } from './types.ts';

export interface AnthropicProviderOptions {
  name: string;
  /** Empty or undefined: no credential header (a gateway that authenticates by other means). */
  apiKey?: string;
  /** Defaults to https://api.anthropic.com; passed explicitly so the SDK never falls back to process.env. */
  baseURL?: string;
  timeoutMs?: number;
  /** Vendor in prices.json that bills this provider; none: costs stay unknown. */
  pricing?: string;
}

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
const DEFAULT_MAX_TOKENS = 1024;
const DEFAULT_MODEL = 'claude-sonnet-4-6';
const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;

export class AnthropicProvider implements Provider {
  readonly name: string;
  readonly pricing: string | undefined;
  readonly chat: ChatCapability;
  readonly structured: StructuredCapability;
  #client: Promise<Anthropic> | undefined;
  readonly #opts: AnthropicProviderOptions;

  constructor(opts: AnthropicProviderOptions) {
    this.name = opts.name;
    this.pricing = opts.pricing;
    this.#opts = opts;
    const imageLimits = () => ANTHROPIC_IMAGE_LIMITS; // no detail levels: one size rule
    this.chat = { chat: (req) => this.#chat(req), imageLimits, defaultModel: DEFAULT_MODEL, defaultVisionModel: DEFAULT_MODEL };
    this.structured = { structured: (req) => this.#structured(req), imageLimits, defaultModel: DEFAULT_MODEL };
  }

  /** The SDK's client, made at the first call: a process that never calls Anthropic does not load the SDK. */
  #sdkClient(): Promise<Anthropic> {
    return (this.#client ??= import('@anthropic-ai/sdk').then(({ default: Sdk }) => {
      anthropicSdkLoaded(Sdk);
      const opts = this.#opts;
      return new Sdk({
        // A placeholder key keeps the SDK from searching profiles and config files for credentials;
        // the null headers then strip it from the wire.
        apiKey: opts.apiKey || 'no-key',
        baseURL: opts.baseURL || ANTHROPIC_BASE_URL,
        timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxRetries: 0,
        ...(opts.apiKey ? {} : { defaultHeaders: NO_AUTH_HEADERS }),
      });
    }));
  }

  #ctx(operation: CallContext['operation'], model: string): CallContext {
    return { provider: this.name, model, operation, baseURL: safeBaseURL(this.#opts.baseURL || ANTHROPIC_BASE_URL), secrets: [this.#opts.apiKey] };
  }

  async #send(req: ChatRequest, ctx: CallContext, extra: Partial<MessageCreateParamsNonStreaming>): Promise<{ message: Message; usage: Usage }> {
    let images = 0;
    const messages: MessageParam[] = req.messages.map((m) => ({
      role: m.role,
      content: m.content.map((p): ContentBlockParam => {
        if (p.type === 'text') return { type: 'text', text: p.text };
        images++;
        return { type: 'image', source: { type: 'base64', media_type: chatImageType(p.image, ctx), data: p.image.data.toString('base64') } };
      }),
    }));
    const body: MessageCreateParamsNonStreaming = {
      model: req.model,
      max_tokens: req.maxTokens ?? DEFAULT_MAX_TOKENS,
      messages,
      ...(req.system ? { system: req.system } : {}),
      ...extra,
    };
    const message = await callProvider(ctx, async () => (await this.#sdkClient()).messages.create(body, { signal: req.signal }));
    if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
      throw providerError('PROVIDER_BAD_RESPONSE', ctx, 'the answer has no content blocks.');
    }
    if (message.stop_reason === 'refusal') throw providerError('PROVIDER_REFUSED', ctx, 'the model declined to answer.');
    const usage: Usage = { provider: this.name, model: req.model };
    if (message.usage?.input_tokens !== undefined) usage.inputTokens = message.usage.input_tokens;
    if (message.usage?.output_tokens !== undefined) usage.outputTokens = message.usage.output_tokens;
    if (images) usage.images = images;
    return { message, usage: withCost(usage, this.#opts.pricing) };
  }

  async #chat(req: ChatRequest): Promise<ChatResult> {
    const { message, usage } = await this.#send(req, this.#ctx('chat', req.model), {});
    const text = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    return { text, usage };
  }

  async #structured(req: StructuredRequest): Promise<StructuredResult> {
    const ctx = this.#ctx('structured', req.model);
    const name = wireName(req.schemaName);
    const { schema, unwrap } = objectSchema(req.schema);
    const { message, usage } = await this.#send(req, ctx, {
      tools: [{ name, description: `Record the answer as ${req.schemaName}.`, input_schema: schema as Anthropic.Tool['input_schema'] }],
      tool_choice: { type: 'tool', name },
    });
    if (message.stop_reason === 'max_tokens') throw providerError('PROVIDER_OUTPUT_TRUNCATED', ctx, 'the answer was cut off at the token limit; raise maxTokens.');
    const call = message.content.find((b) => b.type === 'tool_use' && b.name === name);
    if (!call || call.type !== 'tool_use') throw providerError('PROVIDER_BAD_RESPONSE', ctx, `the answer has no "${name}" tool_use block.`);
    return { value: unwrap(call.input), usage };
  }
}
