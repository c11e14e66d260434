/**
 * Turns whatever a provider SDK throws into a NodeError that says whether retrying can help.
 *
 * Retries happen in exactly one layer, Temporal's activity retry policy, so the SDK clients run with
 * `maxRetries: 0` and this classification decides: transient failures (429, 5xx, timeouts, dropped
 * connections, garbled bodies) are retryable, and a 429's Retry-After becomes `retryAfterMs` (Temporal's
 * `nextRetryDelay`); mistakes a retry cannot fix (bad key, bad request, unknown model, refusal) fail the
 * node at once. Messages name the provider, the model and the operation; they never carry the API key,
 * response headers or the SDK error object (which holds the headers).
 */
import OpenAI from 'openai';
import type Anthropic from '@anthropic-ai/sdk';
import { NodeError } from '../node-sdk/define-node.ts';

/** The codes provider failures carry, with whether they are retried (for the error catalogue). */
export const PROVIDER_ERROR_CODES = {
  PROVIDER_NOT_CONFIGURED: { retryable: false, message: 'The node asks for a provider this worker has no configuration (or key) for.' },
  CAPABILITY_UNSUPPORTED: { retryable: false, message: 'The provider exists but cannot do what the node asks (e.g. Anthropic cannot transcribe).' },
  PROVIDER_AUTH_FAILED: { retryable: false, message: 'The provider rejected the API key, or the key lacks permission (401, 403).' },
  PROVIDER_BAD_REQUEST: { retryable: false, message: 'The provider refused the request as invalid (400, 413, 422): too long, bad media, bad schema.' },
  PROVIDER_MODEL_NOT_FOUND: { retryable: false, message: 'The model does not exist on that provider, or the base URL does not serve this API (404).' },
  PROVIDER_QUOTA_EXCEEDED: { retryable: false, message: 'The account is out of credit or quota (402, 429 insufficient_quota).' },
  PROVIDER_REFUSED: { retryable: false, message: 'The model or the provider\'s safety system refused the content.' },
  PROVIDER_OUTPUT_TRUNCATED: { retryable: false, message: 'The answer hit the token limit before it was complete.' },
  PROVIDER_MEDIA_UNSUPPORTED: { retryable: false, message: 'The media type or size is not accepted by this provider.' },
  PROVIDER_RATE_LIMITED: { retryable: true, message: 'The provider rate-limited the call (429); retried after Retry-After.' },
  PROVIDER_UNAVAILABLE: { retryable: true, message: 'The provider failed or could not be reached (5xx, connection refused or dropped).' },
  PROVIDER_TIMEOUT: { retryable: true, message: 'The provider did not answer within the configured timeout.' },
  PROVIDER_BAD_RESPONSE: { retryable: true, message: 'The provider\'s answer could not be parsed (malformed JSON, missing fields).' },
  PROVIDER_ABORTED: { retryable: true, message: 'The call was aborted (the run was cancelled or the attempt timed out).' },
  PROVIDER_ERROR: { retryable: false, message: 'The provider SDK failed before sending the request (client-side misuse).' },
} as const;

export type ProviderErrorCode = keyof typeof PROVIDER_ERROR_CODES;

/** What a classified error is about; `secrets` are redacted from any text taken from the response. */
export interface CallContext {
  provider: string;
  model?: string;
  operation: 'chat' | 'structured' | 'transcribe' | 'embed' | 'ocr';
  /** Sanitised base URL, mentioned for 404s (a wrong base URL also answers 404). */
  baseURL?: string;
  secrets?: readonly (string | undefined)[];
}

/** Longest Retry-After honoured: a broken header must not park a run for days. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

export function providerError(code: ProviderErrorCode, ctx: CallContext, what: string, extra: { status?: number; retryAfterMs?: number; providerCode?: string; requestId?: string } = {}): NodeError {
  const model = ctx.model ? ` model "${ctx.model}"` : '';
  const message = redact(`${ctx.provider}${model} (${ctx.operation}): ${what}`, ctx.secrets);
  const retryable = PROVIDER_ERROR_CODES[code].retryable;
  return new NodeError(code, message, {
    retryable,
    ...(retryable && extra.retryAfterMs !== undefined ? { retryAfterMs: extra.retryAfterMs } : {}),
    details: { provider: ctx.provider, model: ctx.model, operation: ctx.operation, ...extra },
  });
}

/**
 * The Anthropic SDK, once anthropic.ts has loaded it for its first call (it is not loaded before: about 10
 * MiB of a worker's memory that never calls Anthropic). No Anthropic error can exist before that.
 */
let anthropicSdk: typeof Anthropic | undefined;
export function anthropicSdkLoaded(sdk: typeof Anthropic): void {
  anthropicSdk = sdk;
}

/** Runs one SDK call and classifies its failure; NodeErrors raised by our own checks pass through. */
export async function callProvider<T>(ctx: CallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyProviderError(err, ctx);
  }
}

export function classifyProviderError(err: unknown, ctx: CallContext): NodeError {
  if (err instanceof NodeError) return err;
  const e = err as { name?: string; message?: string; status?: unknown; headers?: unknown; error?: unknown; cause?: unknown };
  const either = (a: abstract new (...args: never[]) => unknown, b: ((sdk: typeof Anthropic) => abstract new (...args: never[]) => unknown)) =>
    err instanceof a || (anthropicSdk !== undefined && err instanceof b(anthropicSdk));

  // Order matters: the timeout and abort classes extend the connection/API error classes.
  if (either(OpenAI.APIUserAbortError, (a) => a.APIUserAbortError) || e?.name === 'AbortError') {
    return providerError('PROVIDER_ABORTED', ctx, 'the call was aborted.');
  }
  if (either(OpenAI.APIConnectionTimeoutError, (a) => a.APIConnectionTimeoutError)) return providerError('PROVIDER_TIMEOUT', ctx, 'no answer within the timeout.');
  if (either(OpenAI.APIConnectionError, (a) => a.APIConnectionError)) {
    return providerError('PROVIDER_UNAVAILABLE', ctx, `cannot reach the provider ${connectionProblem(e.cause, ctx.baseURL)}.`);
  }
  if (either(OpenAI.APIError, (a) => a.APIError) && typeof e.status === 'number') return classifyStatus(e.status, e, ctx);
  if (err instanceof SyntaxError) return providerError('PROVIDER_BAD_RESPONSE', ctx, 'the response body is not valid JSON.');
  if (err instanceof TypeError && isNetworkFailure(err)) {
    return providerError('PROVIDER_UNAVAILABLE', ctx, `the connection dropped while reading the answer (${describeCause(err.cause ?? err)}).`);
  }
  if (either(OpenAI.OpenAIError, (a) => a.AnthropicError)) {
    return providerError('PROVIDER_ERROR', ctx, String(e.message ?? 'the SDK refused the call.'));
  }
  // Our own bug or something unforeseen: keep it retryable like any unexpected node error, minus secrets.
  return new NodeError('PROVIDER_ERROR', redact(`${ctx.provider} (${ctx.operation}): ${String(e?.message ?? err)}`, ctx.secrets), { retryable: true });
}

function classifyStatus(status: number, e: { headers?: unknown; error?: unknown; message?: string }, ctx: CallContext): NodeError {
  const body = errorBody(e.error);
  const providerMessage = body.message ? ` ${sentence(truncate(body.message))}` : '';
  const headers = e.headers instanceof Headers ? e.headers : undefined;
  const retryAfterMs = headers ? parseRetryAfter(headers) : undefined;
  const extra = { status, providerCode: body.code, requestId: headers?.get('x-request-id') ?? headers?.get('request-id') ?? undefined };
  const said = `the provider answered ${status}.${providerMessage}`;

  if (status === 429) {
    if (body.code === 'insufficient_quota') return providerError('PROVIDER_QUOTA_EXCEEDED', ctx, `${said} Add credit or raise the quota.`, extra);
    const wait = retryAfterMs !== undefined ? ` Retry after ${Math.ceil(retryAfterMs / 1000)} s.` : '';
    return providerError('PROVIDER_RATE_LIMITED', ctx, `rate limited.${wait}${providerMessage}`, { ...extra, retryAfterMs });
  }
  if (status >= 500 || status === 408 || status === 409) {
    return providerError('PROVIDER_UNAVAILABLE', ctx, said, { ...extra, retryAfterMs });
  }
  if (isRefusal(body)) return providerError('PROVIDER_REFUSED', ctx, `the content was refused.${providerMessage}`, extra);
  if (status === 401 || status === 403) {
    return providerError('PROVIDER_AUTH_FAILED', ctx, `${said} Check the API key and its permissions.`, extra);
  }
  if (status === 402) return providerError('PROVIDER_QUOTA_EXCEEDED', ctx, `${said} Add credit to the account.`, extra);
  if (status === 404 || body.code === 'model_not_found') {
    const where = ctx.baseURL ? ` at ${ctx.baseURL}` : '';
    return providerError('PROVIDER_MODEL_NOT_FOUND', ctx, `${said} The model does not exist${where}, or the base URL is wrong.`, extra);
  }
  return providerError('PROVIDER_BAD_REQUEST', ctx, said, extra);
}

/** Milliseconds to wait from `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const clamp = (ms: number) => Math.min(Math.max(0, Math.round(ms)), MAX_RETRY_AFTER_MS);
  const ms = headers.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return clamp(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return clamp(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : clamp(date - now);
}

/** Removes the given secrets and anything shaped like a key or bearer token. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out
    .replace(/\b(sk|pk|rk)-[A-Za-z0-9_\-*.]{6,}/g, '[redacted]')
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9_\-.~+/=*]+/gi, '$1 [redacted]')
    .replace(/(x-api-key|api[_-]?key)(["']?\s*[:=]\s*["']?)[^\s"',;]+/gi, '$1$2[redacted]');
}

/** Base URL without credentials, query or fragment, safe to show. */
export function safeBaseURL(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
}

interface ErrorBody {
  message?: string;
  code?: string;
  type?: string;
}

/** OpenAI sends `{ error: { message, code, type } }` (the SDK keeps the inner object); Anthropic the whole envelope. */
function errorBody(error: unknown): ErrorBody {
  if (!error || typeof error !== 'object') return {};
  const outer = error as Record<string, unknown>;
  const inner = (outer.error && typeof outer.error === 'object' ? outer.error : outer) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const details = inner.details as Record<string, unknown> | undefined;
  return { message: str(inner.message), code: str(inner.code) ?? str(details?.error_code), type: str(inner.type) };
}

function isRefusal(body: ErrorBody): boolean {
  const tags = `${body.code ?? ''} ${body.type ?? ''}`;
  return /content_policy|content_filter|safety|moderation/i.test(tags)
    || /content (management )?policy|safety system|flagged/i.test(body.message ?? '');
}

function isNetworkFailure(err: TypeError): boolean {
  const cause = err.cause as { code?: string } | undefined;
  return /terminated|fetch failed|socket|network/i.test(err.message) || typeof cause?.code === 'string';
}

function describeCause(cause: unknown): string {
  const c = cause as { code?: string; message?: string; cause?: unknown } | undefined;
  if (!c) return 'connection error';
  const inner = c.cause as { code?: string; message?: string } | undefined;
  return inner?.code ?? c.code ?? inner?.message ?? c.message ?? 'connection error';
}

/**
 * A connection failure as a person can act on it: a host name that does not resolve is named (a typo in
 * OPENAI_BASE_URL, or no DNS on this machine), as is the address nothing listens on.
 */
function connectionProblem(cause: unknown, baseURL: string | undefined): string {
  const chain: { code?: string; hostname?: string; address?: string; port?: number }[] = [];
  for (let c = cause as { cause?: unknown } | undefined, depth = 0; c && depth < 4; c = c.cause as typeof c, depth++) chain.push(c as never);
  const dns = chain.find((c) => c.code === 'ENOTFOUND' || c.code === 'EAI_AGAIN');
  const host = dns?.hostname ?? hostOf(baseURL);
  if (dns) return `at ${baseURL ?? host}: the host name "${host}" does not resolve (${dns.code}; check the base URL, or this machine's DNS and network)`;
  const refused = chain.find((c) => c.code === 'ECONNREFUSED');
  if (refused) return `at ${baseURL ?? 'its address'}: nothing accepts connections there (ECONNREFUSED)`;
  return `at ${baseURL ?? 'its address'} (${describeCause(cause)})`;
}

function hostOf(url: string | undefined): string {
  try {
    return url ? new URL(url).hostname : 'unknown';
  } catch {
    return 'unknown';
  }
}

function sentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
