/**
 * Helpers of the run API tests: test pipelines, saving pipelines and uploading blobs
 * through the API, and reading a Server-Sent Events stream to its end (with an independent parser).
 */
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import type { RunEvent } from '../../engine/store/types.ts';
import type { ApiEnv } from './api-env.ts';

const doc = (name: string, nodes: Pipeline['nodes'], edges: Pipeline['edges']): Pipeline => ({ format: 'tessera.pipeline/v1', name, nodes, edges });

/** who (text) -> sleep -> count -> greeting; audio passes through; a big text (spilled out of history) -> big. */
export const greetingPipeline = doc(
  'api-greeting',
  [
    { id: 'who', type: 'input', params: { name: 'who', kind: 'text' } },
    { id: 'audio', type: 'input', params: { name: 'audio', kind: 'audio' } },
    { id: 'nap', type: 'test-sleep', params: { ms: 300 } },
    { id: 'tally', type: 'test-count', params: {} },
    { id: 'big', type: 'test-big-text', params: { bytes: 40_000 } },
    { id: 'greeting', type: 'output', params: { name: 'greeting' } },
    { id: 'echo', type: 'output', params: { name: 'audio' } },
    { id: 'long', type: 'output', params: { name: 'big' } },
  ],
  [
    { from: 'who.value', to: 'nap.in' },
    { from: 'nap.out', to: 'tally.in' },
    { from: 'tally.out', to: 'greeting.value' },
    { from: 'audio.value', to: 'echo.value' },
    { from: 'big.text', to: 'long.value' },
  ],
);

export const failingPipeline = doc(
  'api-failing',
  [
    { id: 'boom', type: 'test-fail', params: { message: 'the test node always fails' } },
    { id: 'out', type: 'output', params: { name: 'out' } },
  ],
  [{ from: 'boom.out', to: 'out.value' }],
);

/** A node that fails `failures` times, then succeeds; retries wait 1 s so a poll can see them happen. */
export function flakyPipeline(failures: number): Pipeline {
  return doc(
    'api-flaky',
    [
      { id: 'flaky', type: 'test-flaky', params: { failures }, options: { retry: { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 1 } } },
      { id: 'out', type: 'output', params: { name: 'out' } },
    ],
    [{ from: 'flaky.out', to: 'out.value' }],
  );
}

/** One test-sleep node of `ms` milliseconds behind a text input. */
export function sleepPipeline(ms: number): Pipeline {
  return doc(
    `api-sleep-${ms}`,
    [
      { id: 'text', type: 'input', params: { name: 'text', kind: 'text', default: 'z' } },
      { id: 'slow', type: 'test-sleep', params: { ms } },
      { id: 'out', type: 'output', params: { name: 'out' } },
    ],
    [
      { from: 'text.value', to: 'slow.in' },
      { from: 'slow.out', to: 'out.value' },
    ],
  );
}

/** Saves a pipeline through POST /pipelines; returns its id. */
export async function savePipeline(env: ApiEnv, pipeline: Pipeline): Promise<string> {
  const response = await env.request('POST', '/api/v1/pipelines', { body: pipeline });
  if (response.status !== 201) throw new Error(`POST /pipelines answered ${response.status}: ${response.text}`);
  return response.json.pipeline.id;
}

/** Uploads bytes through POST /blobs; returns the blob reference. */
export async function uploadBytes(env: ApiEnv, bytes: Uint8Array, name: string): Promise<any> {
  const response = await env.request('POST', `/api/v1/blobs?name=${encodeURIComponent(name)}`, { body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  if (response.status !== 201) throw new Error(`POST /blobs answered ${response.status}: ${response.text}`);
  return response.json;
}

export interface SseEvent {
  id: string;
  event: string;
  data: RunEvent;
}

/** Reads an SSE stream until the server ends it (or `timeoutMs` passes); returns the events and the comments count. */
export async function readSse(url: string, headers: Record<string, string> = {}, timeoutMs = 120_000): Promise<{ status: number; contentType: string | null; events: SseEvent[] }> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  if (response.status !== 200) return { status: response.status, contentType: response.headers.get('content-type'), events: [] };
  const events: SseEvent[] = [];
  for (const block of text.split('\n\n')) {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(': ');
      fields[line.slice(0, colon)] = line.slice(colon + 2);
    }
    if (fields.event) events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
  }
  return { status: response.status, contentType: response.headers.get('content-type'), events };
}

/** Polls GET /runs/:id until the run is no longer running. */
export async function waitUntilFinished(env: ApiEnv, runId: string, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, json } = await env.request('GET', `/api/v1/runs/${runId}`);
    if (status === 200 && json.status !== 'running') return json;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${json?.status ?? status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
