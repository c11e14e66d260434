/** The editor's pure run models: the run drawn from its events (run-state.ts) and the run form (run-inputs.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent, RunRecord } from '../../engine/store/types.ts';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { applyEvent, costs, emptyRun, formatDuration, settleFromRecord } from '../../editor/src/run/run-state.ts';
import { buildInputs, initialEntry, runInputFields, type FieldEntry } from '../../editor/src/run/run-inputs.ts';
import { shapeOf } from '../../editor/src/run/value-shape.ts';

let seq = 0;
const event = (type: RunEvent['type'], data: Record<string, unknown>): RunEvent => ({ seq: ++seq, runId: 'r', type, data, at: new Date().toISOString() });

test('a node goes running -> progress -> retrying -> succeeded; a replayed or late event changes nothing', () => {
  const view = emptyRun('r', ['a', 'b']);
  assert.deepEqual(applyEvent(view, event('node.started', { nodeId: 'a' })), ['a']);
  assert.equal(view.nodes.a.status, 'running');
  applyEvent(view, event('node.progress', { nodeId: 'a', fraction: 0.4, message: 'chunk 2 of 5' }));
  assert.deepEqual([view.nodes.a.progress, view.nodes.a.message], [0.4, 'chunk 2 of 5']);
  applyEvent(view, event('node.retrying', { nodeId: 'a', attempt: 2, reason: '429 rate limited' }));
  assert.deepEqual([view.nodes.a.status, view.nodes.a.attempt, view.nodes.a.reason], ['retrying', 2, '429 rate limited']);
  const done = event('node.succeeded', { nodeId: 'a', status: 'succeeded', attempt: 2, durationMs: 1200, usage: [{ provider: 'openai', model: 'm', costUsd: 0.25 }] });
  applyEvent(view, done);
  assert.deepEqual([view.nodes.a.status, view.nodes.a.attempt, view.nodes.a.durationMs], ['succeeded', 2, 1200]);
  // The same event again (a resumed stream) and a stale one after the end are ignored.
  assert.deepEqual(applyEvent(view, done), []);
  assert.deepEqual(applyEvent(view, event('node.started', { nodeId: 'a' })), []);
  assert.equal(view.nodes.a.status, 'succeeded');
  assert.equal(view.nodes.b.status, 'pending');
  assert.deepEqual(costs(view), { perNode: [{ nodeId: 'a', calls: 1, usd: 0.25 }], totalUsd: 0.25 });
});

test('a failed node keeps its code and message; run.finished ends the run and the nodes still running', () => {
  const view = emptyRun('r', ['a', 'b', 'c']);
  applyEvent(view, event('node.started', { nodeId: 'a' }));
  applyEvent(view, event('node.started', { nodeId: 'b' }));
  applyEvent(view, event('node.failed', { nodeId: 'b', status: 'failed', error: { code: 'PROVIDER_QUOTA_EXCEEDED', message: 'out of quota' } }));
  assert.deepEqual(view.nodes.b.error, { code: 'PROVIDER_QUOTA_EXCEEDED', message: 'out of quota' });
  const changed = applyEvent(view, event('run.finished', { status: 'failed', error: { code: 'NODE_FAILED', message: 'Node "b" failed', nodeId: 'b' } }));
  assert.deepEqual(changed, ['', 'a']);
  assert.equal(view.status, 'failed');
  assert.equal(view.error?.nodeId, 'b');
  assert.equal(view.nodes.a.status, 'cancelled');
  assert.equal(view.nodes.c.status, 'pending', 'a node the run never reached stays pending');
});

test('the run record settles nodes whose end no event told', () => {
  const view = emptyRun('r', ['a', 'b']);
  applyEvent(view, event('node.started', { nodeId: 'a' }));
  const record = {
    id: 'r', status: 'succeeded', endedAt: '2026-11-30T10:00:02.000Z',
    nodes: { a: { status: 'succeeded', attempt: 1, startedAt: '2026-11-30T10:00:00.000Z', endedAt: '2026-11-30T10:00:01.500Z' }, b: { status: 'pending' } },
  } as unknown as RunRecord;
  assert.deepEqual(settleFromRecord(view, record), ['a']);
  assert.deepEqual([view.status, view.nodes.a.status, view.nodes.a.durationMs, view.nodes.b.status], ['succeeded', 'succeeded', 1500, 'pending']);
  assert.deepEqual([formatDuration(850), formatDuration(1500), formatDuration(125_000)], ['850 ms', '1.5 s', '2 min 5 s']);
});

const doc: Pipeline = {
  format: 'tessera.pipeline/v1',
  name: 'form',
  nodes: [
    { id: 'q', type: 'input', params: { name: 'question', kind: 'text' } },
    { id: 't', type: 'input', params: { name: 'tone', kind: 'text', default: 'plain' } },
    { id: 'o', type: 'input', params: { name: 'options', kind: 'json', default: { n: 1 } } },
    { id: 'p', type: 'input', params: { name: 'pictures', kind: 'image[]' } },
    { id: 'e', type: 'input', params: { name: 'vector', kind: 'embedding', default: [0, 1, 0, 0, 0, 0, 0, 0] } },
  ],
  edges: [],
} as Pipeline;

test('the run form has one field per input node, defaults written out', () => {
  const fields = runInputFields(doc);
  assert.deepEqual(fields.map((f) => [f.name, f.kind, f.list, f.media, f.hasDefault]), [
    ['question', 'text', false, false, false],
    ['tone', 'text', false, false, true],
    ['options', 'json', false, false, true],
    ['pictures', 'image', true, true, false],
    ['vector', 'embedding', false, false, true],
  ]);
  assert.deepEqual(initialEntry(fields[1]).texts, ['plain']);
  assert.deepEqual(JSON.parse(initialEntry(fields[2]).texts[0]), { n: 1 });
  assert.deepEqual(initialEntry(fields[3]), { texts: [], files: [] });
});

test('the run form builds inputs, leaves defaults to the server and names each problem', () => {
  const fields = runInputFields(doc);
  const entries: Record<string, FieldEntry> = Object.fromEntries(fields.map((f) => [f.name, initialEntry(f)]));
  let built = buildInputs(fields, entries);
  assert.deepEqual(built.problems, { question: 'Required.', pictures: 'Choose, drop or record a file.' });

  entries.question.texts = ['What is in these pictures?'];
  entries.tone.texts = [''];
  entries.options.texts = ['{ "n": '];
  entries.vector.texts = ['[1, "x"]'];
  const ref = { sha256: 'a'.repeat(64), mime: 'image/png', size: 3 };
  entries.pictures.files = [{ name: 'a.png', size: 3, progress: 1, ref }, { name: 'b.png', size: 9, progress: 0.5 }];
  built = buildInputs(fields, entries);
  assert.match(built.problems.options, /^Not valid JSON/);
  assert.equal(built.problems.vector, 'An embedding is a JSON array of numbers.');
  assert.equal(built.problems.pictures, 'Wait for the upload to finish.');

  entries.options.texts = ['{ "n": 3 }'];
  entries.vector.texts = [''];
  entries.pictures.files[1].ref = { ...ref, sha256: 'b'.repeat(64) };
  built = buildInputs(fields, entries);
  assert.deepEqual(built.problems, {});
  assert.deepEqual(built.inputs, { question: 'What is in these pictures?', options: { n: 3 }, pictures: [ref, { ...ref, sha256: 'b'.repeat(64) }] });
});

test('an input that only feeds pinned nodes is not asked for', () => {
  const pinnedDoc = {
    format: 'tessera.pipeline/v1',
    name: 'p',
    nodes: [
      { id: 'note', type: 'input', params: { name: 'audio', kind: 'audio' } },
      { id: 'q', type: 'input', params: { name: 'question', kind: 'text' } },
      { id: 'stt', type: 'transcribe', params: {}, pinned: { outputs: { text: 'hello' } } },
      { id: 'llm', type: 'llm', params: {} },
      { id: 'out', type: 'output', params: { name: 'out' } },
    ],
    edges: [{ from: 'note.value', to: 'stt.audio' }, { from: 'stt.text', to: 'llm.transcript' }, { from: 'q.value', to: 'llm.question' }, { from: 'llm.text', to: 'out.value' }],
  } as Pipeline;
  assert.deepEqual(runInputFields(pinnedDoc).map((f) => f.name), ['question']);
  const unpinned = { ...pinnedDoc, nodes: pinnedDoc.nodes.map(({ pinned: _p, ...n }) => n) } as Pipeline;
  assert.deepEqual(runInputFields(unpinned).map((f) => f.name), ['audio', 'question']);
});

test('values are shown by their shape: text, blobs by media, large values, embeddings, lists, JSON', () => {
  const ref = (mime: string) => ({ sha256: 'a'.repeat(64), mime, size: 10 });
  assert.equal(shapeOf('hi').kind, 'text');
  assert.deepEqual(shapeOf(ref('image/png')), { kind: 'blob', ref: ref('image/png'), media: 'image' });
  assert.equal((shapeOf(ref('video/webm')) as { media: string }).media, 'audio', 'a browser recording');
  assert.equal((shapeOf(ref('application/pdf')) as { media: string }).media, 'pdf');
  assert.equal(shapeOf({ $spilled: ref('application/json') }).kind, 'spilled');
  assert.deepEqual(shapeOf({ model: 'text-embedding-3-small', vector: [0.1, 0.2] }), { kind: 'embedding', values: [0.1, 0.2], model: 'text-embedding-3-small' });
  assert.equal(shapeOf([1, 2]).kind, 'list');
  assert.equal(shapeOf({ a: 1 }).kind, 'json');
});
