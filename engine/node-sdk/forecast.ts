/**
 * What a node says about its provider calls before it runs, for the cost estimate of a run
 * (`tessera run --estimate`, `POST /pipelines/:id/estimate`; engine/budget/run-estimate.ts). A node
 * declares `estimate(params, inputs)` in its definition: the calls it will make, at least and at most,
 * with their text, images and audio per call. The engine turns them into tokens and dollars with the same
 * rules as the check before each real call (engine/budget/estimate-call.ts).
 */

/** What the estimate knows of the value on a port before the run (sums over a list's items). */
export interface ValueSize {
  /** Characters of text (JSON counted as its text). */
  chars: number;
  /** Values: a list's items, 1 for a single value, 0 when nothing is connected. */
  items: number;
  /** Seconds of audio. */
  audioSeconds: number;
  /** Pages of documents (an image document is one page). */
  pages: number;
}

export type ForecastOperation = 'chat' | 'structured' | 'transcribe' | 'embed' | 'ocr';

/** One kind of provider call a node makes: the figures are per call. */
export interface CallForecast {
  operation: ForecastOperation;
  provider: string;
  /** The model param; absent: the provider's default for the job (`vision` for chat calls with images). */
  model?: string;
  job?: 'chat' | 'vision' | 'structured' | 'transcribe' | 'embed' | 'ocr';
  /** How many such calls: at least, at most (an extraction may need a repair turn). */
  calls: { min: number; max: number };
  /** Characters of text sent per call (prompts, inputs, a schema). */
  inputChars: number;
  /** Messages per call (each adds a few tokens); default 1. */
  messages?: number;
  images?: number;
  audioSeconds?: number;
  /** The call's maxTokens param; the node's maxOutputTokens option and the default limit apply on top. */
  maxOutputTokens?: number;
}

export interface NodeForecast {
  calls: CallForecast[];
  /**
   * Sizes of the node's outputs by port, where the default is not right. The default: text of every
   * output token the calls may generate (4 characters a token), or for nodes without calls the sum of
   * their inputs.
   */
  outputs?: Record<string, Partial<ValueSize>>;
}

/** The sizes of a node's inputs by port (ports with nothing connected have zero items). */
export type InputSizes = Record<string, ValueSize>;
