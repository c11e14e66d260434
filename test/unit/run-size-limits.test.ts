/**
 * The size bounds of a run (engine/run/size-limits.ts) without Temporal: pipelines too large to run are
 * refused at validation naming the node, large run inputs are spilled to the blob store (a run too large
 * even then is refused naming the input), values over the per-value bound are refused, and the run record
 * keeps large values as references within its inline budget.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { recordInputs, recordOutputs } from '../../engine/api/runs/record-values.ts';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import { TesseraError } from '../../engine/errors.ts';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { validatePipeline } from '../../engine/pipeline/validate.ts';
import { compilePlan } from '../../engine/run/plan.ts';
import { prepareRunInput } from '../../engine/run/run-input.ts';
import { INLINE_RECORD_BYTES, INLINE_VALUE_BYTES, jsonBytes, MAX_NODE_PARAMS_BYTES, MAX_WORKFLOW_INPUT_BYTES } from '../../engine/run/size-limits.ts';
import { isSpilled, restoreSpilled, spillLargeValues, ValueTooLargeError } from '../../engine/worker/spill.ts';
import { createRegistry } from '../../nodes/index.ts';
import { renderTemplate, TemplateTooLongError } from '../../nodes/common/template.ts';
import { testNodes } from '../support/test-nodes.ts';

const registry = createRegistry(testNodes);
const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-size-'));
const blobs = new FsBlobStore(path.join(dir, 'blobs'));
after(() => rmSync(dir, { recursive: true, force: true }));

const MB = 1024 * 1024;

function templatePipeline(template: string, inputKind = 'text'): Pipeline {
  return {
    format: 'tessera.pipeline/v1',
    name: 'size',
    nodes: [
      { id: 't', type: 'input', params: { name: 't', kind: inputKind } },
      { id: 'fill', type: 'text-template', params: { template } },
      { id: 'out', type: 'output', params: { name: 'text' } },
    ],
    edges: [
      { from: 't.value', to: 'fill.t' },
      { from: 'fill.text', to: 'out.value' },
    ],
  };
}

function valid(doc: Pipeline) {
  const result = validatePipeline(doc, registry);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  return result.value;
}

test('a node whose params are over the bound is refused at validation with PIPELINE_TOO_LARGE naming it', () => {
  const result = validatePipeline(templatePipeline(`{{t}}${'x'.repeat(9 * MB)}`), registry);
  assert.equal(result.ok, false);
  assert.deepEqual(!result.ok && result.errors.map((e) => [e.code, e.nodeId]), [['PIPELINE_TOO_LARGE', 'fill']]);
  assert.match(!result.ok ? result.errors[0].message : '', /Node "fill" has 9 MB of params, over the 256 KB/);
});

test('a pipeline over the bound as a whole is refused, naming the node with the largest params', () => {
  const big = (n: number) => `{{t}}${'x'.repeat(MAX_NODE_PARAMS_BYTES - 1000 - n)}`;
  const doc = templatePipeline(big(0));
  for (let i = 1; i <= 4; i++) {
    doc.nodes.push({ id: `fill${i}`, type: 'text-template', params: { template: big(i * 100) } });
    doc.edges.push({ from: 't.value', to: `fill${i}.t` });
  }
  const result = validatePipeline(doc, registry);
  assert.equal(result.ok, false);
  assert.deepEqual(!result.ok && result.errors.map((e) => [e.code, e.nodeId]), [['PIPELINE_TOO_LARGE', 'fill']]);
  // Just under the bound for each node is fine.
  assert.ok(validatePipeline(templatePipeline(big(0)), registry).ok);
});

test('large run inputs travel as blob references; a run too large even then is RUN_TOO_LARGE naming the input', async () => {
  const text = 'y'.repeat(9 * MB);
  const args = await prepareRunInput(compilePlan(valid(templatePipeline('{{t}}!')), 'q'), { t: text }, blobs);
  assert.ok(isSpilled(args.inputs.t), 'the 9 MB input is a reference');
  assert.ok(jsonBytes(args) < 64 * 1024, 'the workflow input is small');
  assert.deepEqual(await restoreSpilled(args.inputs, blobs), { t: text }, 'the worker gets the value back');

  // Many small items are not spilled one by one into references (the list would not shrink): refused.
  const items = Array.from({ length: 20_000 }, (_, i) => `item ${i} ${'z'.repeat(90)}`);
  const plan = compilePlan(valid(templatePipeline('{{t}}', 'text[]')), 'q');
  const refused = await prepareRunInput(plan, { t: items }, blobs).catch((err: unknown) => err);
  assert.ok(refused instanceof TesseraError, String(refused));
  assert.equal(refused.code, 'RUN_TOO_LARGE');
  assert.deepEqual((refused.details as { input?: string }).input, 't');
  assert.ok(jsonBytes({ plan, inputs: { t: items } }) > MAX_WORKFLOW_INPUT_BYTES, 'the case is really over the bound');
});

test('a value over the per-value bound is refused on the way out and on the way in', async () => {
  await assert.rejects(spillLargeValues({ text: 'a'.repeat(2000) }, blobs, { threshold: 100, maxBytes: 1000 }), (err: unknown) => {
    assert.ok(err instanceof ValueTooLargeError);
    assert.equal(err.port, 'text');
    return true;
  });
  // A marker (which a client could write into a JSON input) pointing at a blob over the bound is not read.
  const marker = await spillLargeValues({ text: 'a'.repeat(2000) }, blobs, { threshold: 100 });
  await assert.rejects(restoreSpilled(marker, blobs, { maxBytes: 1000 }), ValueTooLargeError);
  assert.equal((await restoreSpilled(marker, blobs)).text, 'a'.repeat(2000));
});

test('text-template stops before building a text over its bound', () => {
  assert.equal(renderTemplate('{{a}}{{a}}', { a: 'xyz' }, 6), 'xyzxyz');
  assert.throws(() => renderTemplate('{{a}}{{a}}{{a}}', { a: 'xyz' }, 8), TemplateTooLongError);
});

test('the run record inlines small spilled values within its budget and keeps the rest as references', async () => {
  const small = 's'.repeat(100 * 1024); // over the spill threshold, under the inline bound
  const large = 'l'.repeat(INLINE_VALUE_BYTES + 1);
  const given = { small, large, list: [small, 'tiny', large] };
  const spilled = await spillLargeValues(given, blobs);
  assert.ok(isSpilled(spilled.small) && isSpilled(spilled.large));

  const inputs = await recordInputs(spilled, given);
  assert.equal(inputs.small, small, 'small enough: inline');
  assert.ok(isSpilled(inputs.large), 'over the inline bound: a reference');
  assert.deepEqual((inputs.list as unknown[]).map((v) => (isSpilled(v) ? 'ref' : v === small ? 'small' : v)), ['small', 'tiny', 'ref']);

  const outputs = await recordOutputs(spilled, blobs, INLINE_RECORD_BYTES);
  assert.deepEqual(outputs, inputs, 'outputs are read back from the blob store the same way');
  const tight = await recordOutputs(spilled, blobs, 150 * 1024);
  assert.equal(tight.small, small, 'the first value fits the budget');
  assert.ok(isSpilled((tight.list as unknown[])[0]), 'the budget is spent: the next one stays a reference');
  assert.ok(jsonBytes(await recordOutputs({ a: spilled.small, b: spilled.small, c: spilled.small, d: spilled.small, e: spilled.small, f: spilled.small, g: spilled.small, h: spilled.small, i: spilled.small, j: spilled.small, k: spilled.small }, blobs, INLINE_RECORD_BYTES)) <= INLINE_RECORD_BYTES);
});
