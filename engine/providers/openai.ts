/**
 * A Provider on the official `openai` SDK. The same class serves OpenAI itself and every
 * OpenAI-compatible server (Ollama, vLLM, LocalAI, LM Studio, Groq): only the name, base URL, key
 * and `dialect` differ.
 *
 * The client runs with `maxRetries: 0`: Temporal's activity retry is the only retry layer, and
 * errors.ts tells it what is worth retrying.
 */
import { openAsBlob } from 'node:fs';
import OpenAI, { toFile } from 'openai';
import type { ChatCompletion, ChatCompletionContentPart, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { callProvider, providerError, safeBaseURL, type CallContext } from './errors.ts';
import { assertUploadSize, chatImageType, dataUrl, NO_AUTH_HEADERS, objectSchema, uploadName, wireName } from './encode.ts';
import { OPENAI_HIGH_DETAIL_LIMITS, OPENAI_LOW_DETAIL_LIMITS } from './image-limits.ts';
import { withCost } from './usage.ts';
import type {
  ChatCapability, ChatRequest, ImageDetail, ChatResult, EmbedCapability, EmbedRequest, EmbedResult, Provider, StructuredCapability,
  StructuredRequest, StructuredResult, TranscribeCapability, TranscribeRequest, TranscribeResult, Usage,
} from './types.ts';

export interface OpenAIProviderOptions {
  name: string;
  /** Empty or undefined: no Authorization header at all (local servers need none). */
  apiKey?: string;
  /** Defaults to https://api.openai.com/v1; passed explicitly so the SDK never falls back to process.env. */
  baseURL?: string;
  timeoutMs?: number;
  /** Embedding models that accept images (CLIP-style); all others are text only. */
  imageEmbeddingModels?: readonly string[];
  /** Most inputs per embeddings request (OpenAI allows 2048). */
  maxEmbedBatch?: number;
  /** Largest transcription upload (OpenAI allows 25 MB). */
  maxUploadBytes?: number;
  /**
   * 'openai': OpenAI's own API (max_completion_tokens, base64 embeddings). 'compatible': the subset
   * other servers implement (max_tokens, float embeddings).
   */
  dialect?: 'openai' | 'compatible';
  /** Vendor in prices.json that bills this provider; none: costs stay unknown. */
  pricing?: string;
  organization?: string;
  project?: string;
}

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;

/** Models that only answer `json`/`text` (no segments); Whisper-style models answer `verbose_json`. */
export function supportsVerboseJson(model: string): boolean {
  return !/transcribe/i.test(model);
}

export class OpenAIProvider implements Provider {
  readonly name: string;
  readonly pricing: string | undefined;
  readonly chat: ChatCapability;
  readonly structured: StructuredCapability;
  readonly transcribe: TranscribeCapability;
  readonly embed: EmbedCapability;
  readonly #client: OpenAI;
  readonly #opts: OpenAIProviderOptions;

  constructor(opts: OpenAIProviderOptions) {
    this.name = opts.name;
    this.pricing = opts.pricing;
    this.#opts = opts;
    this.#client = new OpenAI({
      apiKey: opts.apiKey || 'no-key',
      baseURL: opts.baseURL || OPENAI_BASE_URL,
      organization: opts.organization ?? null,
      project: opts.project ?? null,
      timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRetries: 0,
      ...(opts.apiKey ? {} : { defaultHeaders: NO_AUTH_HEADERS }),
    });
    const maxUploadBytes = opts.maxUploadBytes ?? 25 * 1024 * 1024;
    const maxBatch = opts.maxEmbedBatch ?? 2048;
    const imageModels = new Set(opts.imageEmbeddingModels ?? []);
    // OpenAI's own models are the defaults only for OpenAI's API; a compatible server serves models of its own.
    const own = (opts.dialect ?? 'openai') === 'openai';
    const imageLimits = (detail: ImageDetail) => (detail === 'low' ? OPENAI_LOW_DETAIL_LIMITS : OPENAI_HIGH_DETAIL_LIMITS);
    this.chat = { chat: (req) => this.#chat(req), imageLimits, ...(own ? { defaultModel: 'gpt-4o-mini', defaultVisionModel: 'gpt-4o' } : {}) };
    this.structured = { structured: (req) => this.#structured(req), imageLimits, ...(own ? { defaultModel: 'gpt-4o' } : {}) };
    this.transcribe = { maxUploadBytes, transcribe: (req) => this.#transcribe(req, maxUploadBytes), ...(own ? { defaultModel: 'whisper-1' } : {}) };
    this.embed = {
      maxBatch,
      supportsImages: (model) => imageModels.has(model),
      embed: (req) => this.#embed(req, maxBatch),
      ...(own ? { defaultModel: 'text-embedding-3-small' } : {}),
    };
  }

  #ctx(operation: CallContext['operation'], model: string): CallContext {
    return { provider: this.name, model, operation, baseURL: safeBaseURL(this.#opts.baseURL || OPENAI_BASE_URL), secrets: [this.#opts.apiKey] };
  }

  #usage(model: string, figures: Omit<Usage, 'provider' | 'model'>): Usage {
    const usage: Usage = { provider: this.name, model };
    for (const [k, v] of Object.entries(figures)) if (v !== undefined) (usage as unknown as Record<string, unknown>)[k] = v;
    return withCost(usage, this.#opts.pricing);
  }

  async #complete(req: ChatRequest, ctx: CallContext, extra: Partial<ChatCompletionCreateParamsNonStreaming>) {
    let images = 0;
    const messages: ChatCompletionMessageParam[] = req.system ? [{ role: 'system', content: req.system }] : [];
    for (const m of req.messages) {
      if (m.role === 'assistant') {
        messages.push({ role: 'assistant', content: m.content.map((p) => (p.type === 'text' ? p.text : '')).join('') });
        continue;
      }
      const content: ChatCompletionContentPart[] = m.content.map((p) => {
        if (p.type === 'text') return { type: 'text', text: p.text };
        images++;
        return { type: 'image_url', image_url: { url: dataUrl(p.image, chatImageType(p.image, ctx)), detail: p.detail ?? 'auto' } };
      });
      messages.push({ role: 'user', content });
    }
    const limit = req.maxTokens === undefined ? {} : this.#opts.dialect === 'compatible' ? { max_tokens: req.maxTokens } : { max_completion_tokens: req.maxTokens };
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: req.model,
      messages,
      ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
      ...limit,
      ...extra,
    };
    const res = await callProvider(ctx, () => this.#client.chat.completions.create(body, { signal: req.signal }));
    // A 200 with a non-JSON content type comes back from the SDK as a string.
    const choice = typeof res === 'object' && res !== null ? (res as ChatCompletion).choices?.[0] : undefined;
    if (!choice?.message) throw providerError('PROVIDER_BAD_RESPONSE', ctx, 'the answer has no choices[0].message.');
    if (choice.message.refusal) throw providerError('PROVIDER_REFUSED', ctx, `the model refused: ${choice.message.refusal}`);
    if (choice.finish_reason === 'content_filter') throw providerError('PROVIDER_REFUSED', ctx, 'the answer was withheld by the content filter.');
    const usage = this.#usage(req.model, { inputTokens: res.usage?.prompt_tokens, outputTokens: res.usage?.completion_tokens, images: images || undefined });
    return { text: choice.message.content ?? '', finish: choice.finish_reason, usage };
  }

  async #chat(req: ChatRequest): Promise<ChatResult> {
    const { text, usage } = await this.#complete(req, this.#ctx('chat', req.model), {});
    return { text, usage };
  }

  async #structured(req: StructuredRequest): Promise<StructuredResult> {
    const ctx = this.#ctx('structured', req.model);
    const { schema, unwrap } = objectSchema(req.schema);
    const { text, finish, usage } = await this.#complete(req, ctx, {
      response_format: { type: 'json_schema', json_schema: { name: wireName(req.schemaName), strict: true, schema } },
    });
    if (finish === 'length') throw providerError('PROVIDER_OUTPUT_TRUNCATED', ctx, 'the JSON answer was cut off at the token limit; raise maxTokens.');
    try {
      return { value: unwrap(JSON.parse(text)), usage };
    } catch {
      throw providerError('PROVIDER_BAD_RESPONSE', ctx, 'the structured answer is not valid JSON.');
    }
  }

  async #transcribe(req: TranscribeRequest, maxUploadBytes: number): Promise<TranscribeResult> {
    const ctx = this.#ctx('transcribe', req.model);
    assertUploadSize(req.audio, maxUploadBytes, ctx);
    const verbose = supportsVerboseJson(req.model);
    // A file is given to the SDK as a file-backed Blob: the multipart body then streams it from disk, where a
    // Buffer would be held whole for the call (and the chunks of a long recording are sent a few at a time).
    const audio = 'path' in req.audio ? await openAsBlob(req.audio.path, { type: req.audio.mime }) : req.audio.data;
    const file = await toFile(audio, uploadName(req.audio), { type: req.audio.mime });
    const res = (await callProvider(ctx, () =>
      this.#client.audio.transcriptions.create(
        {
          file,
          model: req.model,
          response_format: verbose ? 'verbose_json' : 'json',
          ...(req.language ? { language: req.language } : {}),
          ...(req.prompt ? { prompt: req.prompt } : {}),
        },
        { signal: req.signal },
      ),
    )) as unknown as TranscriptionAnswer;
    if (typeof res?.text !== 'string') throw providerError('PROVIDER_BAD_RESPONSE', ctx, 'the transcription has no text.');
    const u = res.usage;
    const audioSeconds = res.duration ?? (u?.type === 'duration' ? u.seconds : undefined) ?? req.durationSeconds;
    const text = res.text.trim();
    const segments = Array.isArray(res.segments)
      ? res.segments.map((s) => ({ start: s.start, end: s.end, text: s.text.trim() }))
      : text ? [{ start: 0, end: audioSeconds ?? 0, text }] : [];
    const usage = this.#usage(req.model, {
      audioSeconds,
      inputTokens: u?.type === 'tokens' ? u.input_tokens : undefined,
      outputTokens: u?.type === 'tokens' ? u.output_tokens : undefined,
    });
    return { text, segments, language: res.language ?? req.language, usage };
  }

  async #embed(req: EmbedRequest, maxBatch: number): Promise<EmbedResult> {
    const ctx = this.#ctx('embed', req.model);
    const images = req.inputs.filter((i) => i.type === 'image').length;
    if (images && !this.embed.supportsImages(req.model)) {
      throw providerError('PROVIDER_MEDIA_UNSUPPORTED', ctx, 'this model embeds text only; list CLIP-style models in imageEmbeddingModels to send images.');
    }
    // Images travel as data URLs in `input`, the convention of CLIP-serving OpenAI-compatible servers.
    const encoded = req.inputs.map((i) => (i.type === 'text' ? i.text : dataUrl(i.image)));
    const vectors: number[][] = [];
    let tokens: number | undefined;
    for (let start = 0; start < encoded.length; start += maxBatch) {
      const input = encoded.slice(start, start + maxBatch);
      const res = await callProvider(ctx, () =>
        this.#client.embeddings.create(
          { model: req.model, input, ...(this.#opts.dialect === 'compatible' ? { encoding_format: 'float' as const } : {}) },
          { signal: req.signal },
        ),
      );
      if (!Array.isArray(res?.data) || res.data.length !== input.length) {
        throw providerError('PROVIDER_BAD_RESPONSE', ctx, `asked for ${input.length} embeddings, got ${Array.isArray(res?.data) ? res.data.length : 'none'}.`);
      }
      // `index` orders the answer; servers are not bound to keep request order.
      const ordered = [...res.data].sort((a, b) => a.index - b.index);
      for (const d of ordered) vectors.push(Array.from(d.embedding as ArrayLike<number>));
      if (res.usage?.prompt_tokens !== undefined) tokens = (tokens ?? 0) + res.usage.prompt_tokens;
    }
    return { vectors, usage: this.#usage(req.model, { inputTokens: tokens, images: images || undefined }) };
  }
}

/** What `verbose_json` (whisper) or `json` (gpt-4o-transcribe) answers carry. */
interface TranscriptionAnswer {
  text: string;
  language?: string;
  duration?: number;
  segments?: { start: number; end: number; text: string }[];
  usage?: { type: 'duration'; seconds: number } | { type: 'tokens'; input_tokens: number; output_tokens: number };
}
