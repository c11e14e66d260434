/**
 * A real HTTP server on 127.0.0.1 that speaks enough of the OpenAI and Anthropic wire formats for the
 * official SDKs to run unchanged against it. Tests script its answers per route, inject faults, and
 * assert what the SDK actually sent (every request is recorded).
 *
 *   const fake = await startFakeProviders();
 *   const provider = new OpenAIProvider({ name: 'openai', apiKey: 'sk-test', baseURL: fake.openaiBaseURL });
 *   fake.script('chat', { text: 'A cat on a mat.' });            // next chat answer
 *   fake.fault('chat', 'rate-limit', { retryAfter: 3 });          // the one after: 429, Retry-After: 3
 *   ...; fake.requestsTo('chat')[0].json.messages; await fake.close();
 *
 * Default answers are deterministic: chat echoes the last user text and describes the images; structured
 * output returns an example built from the schema; transcription and image embeddings read the
 * `[[content:...]]` marker (see contentMarker) from the media bytes, or else describe the bytes (size and
 * hash), so chunk order can be asserted; text embeddings hash words into a vector, so texts sharing
 * words are similar.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = 'chat' | 'transcriptions' | 'embeddings' | 'models' | 'messages';
const ROUTES: Record<string, Route> = {
  'POST /v1/chat/completions': 'chat',
  'POST /v1/audio/transcriptions': 'transcriptions',
  'POST /v1/embeddings': 'embeddings',
  'GET /v1/models': 'models',
  'POST /v1/messages': 'messages',
};

export interface RecordedFile { field: string; name: string; mime: string; size: number; sha256: string; data: Buffer }

export interface RecordedRequest {
  route: Route | 'unknown';
  method: string;
  path: string;
  /** Lower-case header names; `authorization` and `x-api-key` are left out (see `auth`). */
  headers: Record<string, string>;
  /** Whether a credential came, how, and a short hash of it that is safe to print. */
  auth: { present: boolean; scheme?: 'bearer' | 'x-api-key'; keyId?: string };
  /** The credential itself: non-enumerable, so logging or serialising a request never shows it. */
  readonly rawKey?: string;
  json?: any;
  form?: { fields: Record<string, string>; files: RecordedFile[] };
  bodyBytes: number;
}

export interface ScriptedResponse {
  status?: number;
  /** Route-aware shorthands: chat/messages answer text, transcriptions return it as the transcript. */
  text?: string;
  /** Structured answer: chat returns it as JSON content, messages as the forced tool's input. */
  value?: unknown;
  /** The whole JSON body (wins over the shorthands). */
  json?: unknown;
  /** A raw body, sent as application/json unless headers say otherwise (e.g. malformed JSON). */
  body?: string | Buffer;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Destroy the socket before sending anything, or after the headers and part of the body. */
  drop?: 'before-headers' | 'mid-body';
}
export type Script = ScriptedResponse | ((req: RecordedRequest, defaultJson: () => unknown) => ScriptedResponse | Promise<ScriptedResponse>);

export type FaultKind = 'rate-limit' | 'server-error' | 'slow' | 'malformed' | 'drop' | 'drop-mid-body' | 'status';
export interface FaultOptions {
  /** rate-limit: Retry-After value (seconds or an HTTP date); default 1. */
  retryAfter?: number | string;
  /** rate-limit: sends retry-after-ms instead. */
  retryAfterMs?: number;
  /** server-error (default 500) or status (required). */
  status?: number;
  message?: string;
  /** Vendor error code, e.g. "insufficient_quota", "content_policy_violation". */
  code?: string;
  /** slow: delay before the default answer. */
  delayMs?: number;
  /** How many consecutive requests get this fault (default 1). */
  times?: number;
}

export interface FakeProviders {
  url: string;
  openaiBaseURL: string;
  anthropicBaseURL: string;
  /** Every request, in arrival order (live array). */
  requests: RecordedRequest[];
  requestsTo(route: Route): RecordedRequest[];
  /** Queue answers for the next requests to a route (FIFO); the default answer follows. */
  script(route: Route, ...responses: Script[]): void;
  fault(route: Route, kind: FaultKind, options?: FaultOptions): void;
  /** Forget scripts and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

/** Bytes that tell the fake what a piece of media "contains"; append them to any fixture. */
export function contentMarker(text: string): Buffer {
  return Buffer.from(`[[content:${text}]]`);
}

export async function startFakeProviders(): Promise<FakeProviders> {
  const requests: RecordedRequest[] = [];
  const queues = new Map<Route, Script[]>();

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake provider bug: ${(err as Error).stack}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const recorded = await record(req);
    requests.push(recorded);
    if (recorded.route === 'unknown') return send(res, recorded, { status: 404, json: openaiError(`No route ${req.method} ${recorded.path}`, 'invalid_request_error') });
    const next = queues.get(recorded.route)?.shift();
    const defaultJson = () => defaultAnswer(recorded);
    const scripted = typeof next === 'function' ? await next(recorded, defaultJson) : next ?? {};
    await send(res, recorded, scripted);
  }

  function fault(route: Route, kind: FaultKind, o: FaultOptions = {}) {
    const make = (): Script => {
      switch (kind) {
        case 'rate-limit': {
          const headers: Record<string, string> = o.retryAfterMs !== undefined ? { 'retry-after-ms': String(o.retryAfterMs) } : { 'retry-after': String(o.retryAfter ?? 1) };
          return { status: 429, headers, json: vendorError(route, 429, o.message ?? 'Rate limit reached. Please try again later.', o.code) };
        }
        case 'server-error': {
          const status = o.status ?? 500;
          return { status, json: vendorError(route, status, o.message ?? 'The server had an error while processing your request.', o.code) };
        }
        case 'slow': return { delayMs: o.delayMs ?? 1000 };
        case 'malformed': return { body: '{"id": "x", "object": "chat.completion", "choices": [{"message": {"content": "trunc' };
        case 'drop': return { drop: 'before-headers' };
        case 'drop-mid-body': return { drop: 'mid-body' };
        case 'status': {
          if (!o.status) throw new Error('fault "status" needs options.status');
          const status = o.status;
          return (req) => ({ status, json: vendorError(route, status, o.message ?? defaultErrorMessage(status, req), o.code ?? (status === 404 && route !== 'messages' ? 'model_not_found' : undefined)) });
        }
      }
    };
    for (let i = 0; i < (o.times ?? 1); i++) script(route, make());
  }

  function script(route: Route, ...responses: Script[]) {
    queues.set(route, [...(queues.get(route) ?? []), ...responses]);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    requests,
    requestsTo: (route) => requests.filter((r) => r.route === route),
    script,
    fault,
    reset() {
      requests.length = 0;
      queues.clear();
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function record(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const path = (req.url ?? '/').split('?')[0]!;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (k !== 'authorization' && k !== 'x-api-key' && v !== undefined) headers[k] = String(v);
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const xKey = req.headers['x-api-key'] as string | undefined;
  const rawKey = bearer ?? xKey;
  const recorded: RecordedRequest = {
    route: ROUTES[`${req.method} ${path}`] ?? 'unknown',
    method: req.method ?? 'GET',
    path,
    headers,
    auth: rawKey ? { present: true, scheme: bearer ? 'bearer' : 'x-api-key', keyId: sha256(Buffer.from(rawKey)).slice(0, 8) } : { present: false },
    bodyBytes: body.length,
  };
  Object.defineProperty(recorded, 'rawKey', { value: rawKey, enumerable: false });
  const type = headers['content-type'] ?? '';
  if (type.includes('application/json') && body.length) recorded.json = JSON.parse(body.toString('utf8'));
  if (type.includes('multipart/form-data')) {
    // The Web Request parser (undici, built into Node 20) reads multipart; no extra dependency needed.
    const form = await new Request('http://fake.invalid/', { method: 'POST', headers: { 'content-type': type }, body }).formData();
    recorded.form = { fields: {}, files: [] };
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') recorded.form.fields[field] = value;
      else {
        const data = Buffer.from(await value.arrayBuffer());
        recorded.form.files.push({ field, name: value.name, mime: value.type, size: data.length, sha256: sha256(data), data });
      }
    }
  }
  return recorded;
}

async function send(res: ServerResponse, req: RecordedRequest, s: ScriptedResponse): Promise<void> {
  if (s.delayMs) {
    // Unref'd: a client that gave up must not keep the test process alive until the delay ends.
    await new Promise((r) => setTimeout(r, s.delayMs).unref());
    if (res.destroyed || res.socket?.destroyed) return; // the client gave up (timeout or abort)
  }
  if (s.drop === 'before-headers') return void res.socket?.destroy();
  const status = s.status ?? 200;
  let body: Buffer;
  let type = 'application/json';
  if (s.body !== undefined) body = Buffer.from(s.body);
  else if (s.json !== undefined) body = Buffer.from(JSON.stringify(s.json));
  else if (status !== 200) body = Buffer.from(JSON.stringify(vendorError(req.route, status, defaultErrorMessage(status, req))));
  else {
    const answer = defaultAnswer(req, s);
    if (typeof answer === 'string') [body, type] = [Buffer.from(answer), 'text/plain; charset=utf-8'];
    else body = Buffer.from(JSON.stringify(answer));
  }
  const idHeader = req.route === 'messages' ? 'request-id' : 'x-request-id';
  const headers = { 'content-type': type, 'content-length': String(body.length), [idHeader]: `req_fake_${Date.now().toString(36)}`, ...s.headers };
  if (s.drop === 'mid-body') {
    res.writeHead(status, headers);
    res.write(body.subarray(0, Math.max(1, Math.floor(body.length / 2))));
    await new Promise((r) => setTimeout(r, 20));
    return void res.socket?.destroy();
  }
  res.writeHead(status, headers);
  res.end(body);
}

// ---- default answers ----------------------------------------------------------------------------

function defaultAnswer(req: RecordedRequest, s: ScriptedResponse = {}): unknown {
  switch (req.route) {
    case 'chat': return chatAnswer(req.json, s);
    case 'messages': return messagesAnswer(req.json, s);
    case 'transcriptions': return transcriptionAnswer(req.form!, s);
    case 'embeddings': return embeddingsAnswer(req.json);
    case 'models': return { object: 'list', data: ['gpt-4o', 'gpt-4o-mini', 'whisper-1', 'text-embedding-3-small'].map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'fake' })) };
    default: return {};
  }
}

function chatAnswer(body: any, s: ScriptedResponse) {
  const format = body.response_format;
  const structured = format?.type === 'json_schema';
  const content = s.value !== undefined ? JSON.stringify(s.value)
    : s.text !== undefined ? s.text
    : structured ? JSON.stringify(exampleFor(format.json_schema.schema))
    : echo(body.messages.filter((m: any) => m.role === 'user').at(-1)?.content, (p) => (p.type === 'image_url' ? decodeDataUrl(p.image_url.url) : undefined));
  const images = body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [])).filter((p: any) => p.type === 'image_url').length;
  const prompt = tokens(body.messages) + 85 * images;
  return {
    id: 'chatcmpl-fake', object: 'chat.completion', created: 1700000000, model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: prompt, completion_tokens: words(content), total_tokens: prompt + words(content) },
  };
}

function messagesAnswer(body: any, s: ScriptedResponse) {
  const forced = body.tool_choice?.type === 'tool' ? body.tools?.find((t: any) => t.name === body.tool_choice.name) : undefined;
  const content = forced
    ? [{ type: 'tool_use', id: 'toolu_fake', name: forced.name, input: s.value !== undefined ? s.value : exampleFor(forced.input_schema) }]
    : [{ type: 'text', text: s.text ?? echo(body.messages.filter((m: any) => m.role === 'user').at(-1)?.content, (p) => (p.type === 'image' ? { mime: p.source.media_type, data: Buffer.from(p.source.data, 'base64') } : undefined)), citations: null }];
  const images = body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [])).filter((p: any) => p.type === 'image').length;
  return {
    id: 'msg_fake', type: 'message', role: 'assistant', model: body.model, content,
    stop_reason: forced ? 'tool_use' : 'end_turn', stop_sequence: null,
    usage: { input_tokens: tokens(body.messages) + 85 * images, output_tokens: tokens(content), cache_creation_input_tokens: null, cache_read_input_tokens: null },
  };
}

/** "echo: <text> [image/png 68 bytes: a cat]": what a caption or OCR test can assert on. */
function echo(content: unknown, image: (part: any) => { mime: string; data: Buffer } | undefined): string {
  if (typeof content === 'string') return `echo: ${content}`;
  const parts = (Array.isArray(content) ? content : []).map((p: any) => {
    if (p.type === 'text') return p.text;
    const img = image(p);
    if (!img) return `[${p.type}]`;
    const marker = markerIn(img.data);
    return `[${img.mime} ${img.data.length} bytes${marker ? `: ${marker}` : ''}]`;
  });
  return `echo: ${parts.join(' ')}`;
}

function transcriptionAnswer(form: NonNullable<RecordedRequest['form']>, s: ScriptedResponse) {
  const file = form.files[0]!;
  const duration = audioSeconds(file.data);
  const text = s.text ?? markerIn(file.data) ?? `audio ${file.size} bytes ${file.sha256.slice(0, 8)}`;
  const format = form.fields.response_format ?? 'json';
  if (format === 'text') return text;
  if (format !== 'verbose_json') return { text, usage: { type: 'tokens', input_tokens: Math.ceil(duration * 10), output_tokens: words(text), total_tokens: Math.ceil(duration * 10) + words(text) } };
  const sentences = text.split(/(?<=[.!?])\s+/).filter(Boolean);
  const step = duration / Math.max(1, sentences.length);
  return {
    task: 'transcribe', language: LANGUAGES[form.fields.language ?? 'en'] ?? form.fields.language, duration, text,
    segments: sentences.map((t, id) => ({ id, seek: 0, start: round(id * step), end: round((id + 1) * step), text: ` ${t}`, tokens: [], temperature: 0, avg_logprob: -0.2, compression_ratio: 1, no_speech_prob: 0 })),
    usage: { type: 'duration', seconds: Math.ceil(duration) },
  };
}

const LANGUAGES: Record<string, string> = { en: 'english', fr: 'french', de: 'german', es: 'spanish', pt: 'portuguese', it: 'italian' };

/** A WAV's length from its header; anything else counts as 16 kB per second. */
function audioSeconds(data: Buffer): number {
  if (data.length >= 44 && data.toString('ascii', 0, 4) === 'RIFF' && data.toString('ascii', 8, 12) === 'WAVE') {
    const byteRate = data.readUInt32LE(28);
    if (byteRate > 0) return round((data.length - 44) / byteRate);
  }
  return round(data.length / 16000);
}

function embeddingsAnswer(body: any) {
  const inputs: string[] = typeof body.input === 'string' ? [body.input] : body.input;
  const dims = body.dimensions ?? 64;
  const data = inputs.map((input, index) => {
    const img = input.startsWith('data:') ? decodeDataUrl(input) : undefined;
    const vector = img && !markerIn(img.data) ? hashVector(`bytes:${sha256(img.data)}`, dims) : hashVector(img ? markerIn(img.data)! : input, dims);
    const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const tokens = inputs.reduce((n, i) => n + (i.startsWith('data:') ? 1 : words(i)), 0);
  return { object: 'list', model: body.model, data, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

/** Bag of hashed words, normalised: texts that share words have a high cosine similarity. */
function hashVector(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9:]+/g) ?? [text]) {
    const h = createHash('sha256').update(word).digest();
    v[h.readUInt32LE(0) % dims] += h[4] & 1 ? 1 : -1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

/** An example value that satisfies a (strict, simple) JSON Schema: what a model would "fill in". */
export function exampleFor(schema: any, root: any = schema): unknown {
  if (!schema || typeof schema !== 'object') return null;
  if (schema.$ref) return exampleFor(schema.$ref.replace(/^#\//, '').split('/').reduce((o: any, k: string) => o?.[k], root), root);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const alt = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alt)) return exampleFor(alt[0], root);
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') ?? 'null' : schema.type;
  switch (type) {
    case 'object': return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, exampleFor(s, root)]));
    case 'array': return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => exampleFor(schema.items ?? {}, root));
    case 'string': return schema.format === 'date' ? '2024-01-01' : 'example';
    case 'integer': case 'number': return schema.minimum ?? 0;
    case 'boolean': return false;
    default: return null;
  }
}

// ---- errors in each vendor's shape ----------------------------------------------------------------

function vendorError(route: Route | 'unknown', status: number, message: string, code?: string) {
  if (route === 'messages') {
    const type = { 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 413: 'request_too_large', 429: 'rate_limit_error', 529: 'overloaded_error' }[status] ?? 'api_error';
    return { type: 'error', error: { type, message, ...(code ? { details: { error_code: code } } : {}) } };
  }
  const type = status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return openaiError(message, type, code);
}

function openaiError(message: string, type: string, code?: string) {
  return { error: { message, type, param: null, code: code ?? null } };
}

/** Real providers echo (part of) a wrong key back; this one echoes all of it, to prove we redact it. */
function defaultErrorMessage(status: number, req: RecordedRequest): string {
  const model = req.json?.model ?? req.form?.fields.model ?? 'unknown';
  if (status === 401) return `Incorrect API key provided: ${req.rawKey ?? '(none)'}. You can find your API key in your account settings.`;
  if (status === 403) return 'You are not allowed to sample from this model.';
  if (status === 404) return req.route === 'messages' ? `model: ${model}` : `The model '${model}' does not exist or you do not have access to it.`;
  if (status === 400) return 'Invalid request: something in the body is wrong.';
  return `Fake error ${status}.`;
}

// ---- small helpers ------------------------------------------------------------------------------

function decodeDataUrl(url: string): { mime: string; data: Buffer } | undefined {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return m ? { mime: m[1]!, data: Buffer.from(m[2]!, 'base64') } : undefined;
}

function markerIn(data: Buffer): string | undefined {
  const found = [...data.toString('latin1').matchAll(/\[\[content:([^\]]*)\]\]/g)].map((m) => m[1]!);
  return found.length ? found.join(' ') : undefined;
}

/** Roughly four characters of JSON per token; images are counted separately. */
function tokens(value: unknown): number {
  return Math.ceil(JSON.stringify(value, (k, v) => (k === 'url' || k === 'data' ? '' : v)).length / 4);
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
