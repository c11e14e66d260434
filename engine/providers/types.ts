/**
 * Narrow provider interfaces. Nodes receive a `Providers` object through their run context and ask it
 * for a capability of a named provider; tests and users can swap any implementation.
 *
 * Retries live in exactly one layer: Temporal's activity retry policy. Implementations therefore call
 * the SDKs with `maxRetries: 0` and classify every failure as a `ProviderError` that says whether a
 * retry can help and, for 429s, how long to wait (Retry-After).
 */

import type { ImageLimits } from './image-limits.ts';

/** What one provider call consumed; `costUsd` comes from the dated price table (engine/providers/prices.json). */
export interface Usage {
  provider: string;
  model: string;
  inputTokens?: number;
  outputTokens?: number;
  audioSeconds?: number;
  images?: number;
  costUsd?: number;
}

/** Bytes handed to a provider: media are read from the blob store by the node and passed as buffers. */
export interface MediaPart {
  data: Buffer;
  mime: string;
  name?: string;
}

/**
 * Media that stays in a file and is read as it is sent (an audio chunk on disk), so a call does not hold
 * its bytes in memory.
 */
export interface MediaFile {
  path: string;
  /** The file's size in bytes. */
  size: number;
  mime: string;
  name?: string;
}

/** The size in bytes of media in memory or in a file. */
export function mediaBytes(part: MediaPart | MediaFile): number {
  return 'data' in part ? part.data.length : part.size;
}

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image'; image: MediaPart; detail?: 'low' | 'high' | 'auto' };

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: ContentPart[];
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface ChatRequest extends CallOptions {
  model: string;
  system?: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
}

export interface ChatResult {
  text: string;
  usage: Usage;
}

export interface StructuredRequest extends ChatRequest {
  /** JSON Schema the answer must satisfy. */
  schema: Record<string, unknown>;
  schemaName: string;
}

export interface StructuredResult {
  /** The parsed answer; the caller validates it against the schema. */
  value: unknown;
  usage: Usage;
}

export interface TranscribeRequest extends CallOptions {
  model: string;
  /** The bytes, or a file the provider reads as it uploads it (the transcribe node's chunks). */
  audio: MediaPart | MediaFile;
  language?: string;
  /** Domain vocabulary or style hint (Whisper's `prompt`). */
  prompt?: string;
  /** Length of the audio when the caller knows it (ffprobe); used for usage when the API does not report it. */
  durationSeconds?: number;
}

export interface TranscriptSegment {
  start: number;
  end: number;
  text: string;
}

export interface TranscribeResult {
  text: string;
  segments: TranscriptSegment[];
  language?: string;
  usage: Usage;
}

export type EmbedInput = { type: 'text'; text: string } | { type: 'image'; image: MediaPart };

export interface EmbedRequest extends CallOptions {
  model: string;
  inputs: EmbedInput[];
}

export interface EmbedResult {
  vectors: number[][];
  usage: Usage;
}

/**
 * What a capability says about itself, so nodes decide by what a provider is (its type), never by the name
 * it was configured under: a providers-file entry "claude" of type anthropic behaves as `anthropic` does.
 */
export interface ModelDefaults {
  /** The model used when a node names none; undefined: the node must name one (compatible servers). */
  readonly defaultModel?: string;
}

/** Capabilities that take images: how to prepare them for this provider's vision models. */
export interface TakesImages {
  imageLimits(detail: ImageDetail): ImageLimits;
}

export type ImageDetail = 'low' | 'high' | 'auto';

export interface ChatCapability extends ModelDefaults, TakesImages {
  chat(request: ChatRequest): Promise<ChatResult>;
  /** The default model for image inputs (may differ from the text default). */
  readonly defaultVisionModel?: string;
}
export interface StructuredCapability extends ModelDefaults, TakesImages {
  structured(request: StructuredRequest): Promise<StructuredResult>;
}
export interface TranscribeCapability extends ModelDefaults {
  transcribe(request: TranscribeRequest): Promise<TranscribeResult>;
  /** Largest upload the provider accepts, in bytes (25 MB for OpenAI). */
  readonly maxUploadBytes: number;
}
export interface EmbedCapability extends ModelDefaults {
  embed(request: EmbedRequest): Promise<EmbedResult>;
  /** Whether a model accepts image inputs (CLIP-style); false means text only. */
  supportsImages(model: string): boolean;
  /** Most inputs one request may carry. */
  readonly maxBatch: number;
}

export interface OcrRequest extends CallOptions {
  image: MediaPart;
  /** Language hint, e.g. "eng" for tesseract. */
  language?: string;
}

export interface OcrResult {
  text: string;
  /** 0..100 when the engine reports it (tesseract does). */
  confidence?: number;
  usage: Usage;
}

export interface OcrCapability {
  recognize(request: OcrRequest): Promise<OcrResult>;
}

/** A configured provider: a name and whichever capabilities it has. */
export interface Provider {
  readonly name: string;
  /** The vendor in prices.json that bills this provider's calls; none: a local or unpriced server. */
  readonly pricing?: string;
  readonly chat?: ChatCapability;
  readonly structured?: StructuredCapability;
  readonly transcribe?: TranscribeCapability;
  readonly embed?: EmbedCapability;
  readonly ocr?: OcrCapability;
}

export type Capability = 'chat' | 'structured' | 'transcribe' | 'embed' | 'ocr';

/** The providers a worker has, by name ("openai", "anthropic", "compatible", "local", ...). */
export interface Providers {
  names(): string[];
  /** Whether the named provider is configured and has the capability (no error when not). */
  offers(name: string, capability: Capability): boolean;
  /** Throws a non-retryable PROVIDER_NOT_CONFIGURED / CAPABILITY_UNSUPPORTED NodeError naming what is missing. */
  require<C extends Capability>(name: string, capability: C): NonNullable<Provider[C]>;
  /** The vendor in prices.json that bills the named provider (undefined: unpriced, or not configured). */
  pricing?(name: string): string | undefined;
}
