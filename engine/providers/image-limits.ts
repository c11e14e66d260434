/**
 * What each provider's vision models accept (formats, pixel sizes, bytes). Pure data, so providers can
 * declare their limits and nodes can ask a provider for them, whatever name it is configured under.
 */
/** The formats providers accept; conversions only ever produce png or jpeg. */
export type ProviderImageFormat = 'jpeg' | 'png' | 'webp' | 'gif';

export interface ImageLimits {
  /** Longest side in pixels. */
  maxSide?: number;
  /** Applied after maxSide: the shortest side is brought down to this (OpenAI's high-detail rule). */
  maxShortSide?: number;
  /** Width x height; providers that bill by area scale larger images down server-side anyway. */
  maxPixels?: number;
  /** Encoded size in bytes. */
  maxBytes?: number;
  /** Formats the provider accepts; the first of png/jpeg in here is used for conversions. */
  formats: readonly ProviderImageFormat[];
}

/** OpenAI vision, detail "high": fit in 2048 x 2048, then shortest side 768; 20 MB per image. */
export const OPENAI_HIGH_DETAIL_LIMITS: ImageLimits = Object.freeze({
  maxSide: 2048,
  maxShortSide: 768,
  maxBytes: 20 * 1024 * 1024,
  formats: Object.freeze(['png', 'jpeg', 'webp', 'gif'] as const),
});

/** OpenAI vision, detail "low": the model sees a 512 x 512 version, so sending more only costs upload time. */
export const OPENAI_LOW_DETAIL_LIMITS: ImageLimits = Object.freeze({
  maxSide: 512,
  maxBytes: 20 * 1024 * 1024,
  formats: Object.freeze(['png', 'jpeg', 'webp', 'gif'] as const),
});

/**
 * Anthropic: images over 1568 px on the long side or ~1.15 megapixels are scaled down server-side (extra
 * latency, no benefit). The 5 MB limit is checked on the base64 text, so raw bytes must stay under 3/4 of it.
 */
export const ANTHROPIC_IMAGE_LIMITS: ImageLimits = Object.freeze({
  maxSide: 1568,
  maxPixels: 1_150_000,
  maxBytes: Math.floor((5 * 1024 * 1024 * 3) / 4),
  formats: Object.freeze(['jpeg', 'png', 'gif', 'webp'] as const),
});
