/**
 * The editor's pure models for control flow (issue 11): the run drawn from node.skipped / node.waiting /
 * node.progress item counts (run-state.ts), the "Run once per item" form (map-form.ts) and the approval
 * form (approval.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent, RunRecord } from '../../engine/store/types.ts';
import type { PipelineNode } from '../../engine/pipeline/schema.ts';
import { applyEvent, childRunOf, emptyRun, itemsLabel, seedFromRecord, settleFromRecord, shownRunStatus, untilLabel, waitingApprovals } from '../../editor/src/run/run-state.ts';
import { applyMapForm, concurrencyProblem, mapFormOf, mapPortOptions, mapSummary, withMapPorts } from '../../editor/src/model/map-form.ts';
import { draftKind, initialDraft, isEdited, parseDraft, refusalText } from '../../editor/src/run/approval.ts';

let seq = 0;
/** Events of types the store may not list yet (node.waiting, node.skipped) are built the same way. */
const event = (type: string, data: Record<string, unknown>): RunEvent => ({ seq: ++seq, runId: 'r', type: type as RunEvent['type'], data, at: new Date().toISOString() });

test('a node on a branch path not taken is skipped (final); a node the run did not need is skipped and says so', () => {
  const view = emptyRun('r', ['branch', 'yes', 'no', 'unused']);
  applyEvent(view, event('node.started', { nodeId: 'branch' }));
  applyEvent(view, event('node.succeeded', { nodeId: 'branch', status: 'succeeded' }));
  assert.deepEqual(applyEvent(view, event('node.skipped', { nodeId: 'no', status: 'skipped' })), ['no']);
  assert.deepEqual(view.nodes.no, { status: 'skipped' });
  // Final: a late event does not move it back.
  assert.deepEqual(applyEvent(view, event('node.started', { nodeId: 'no' })), []);
  assert.equal(view.nodes.no.status, 'skipped');
  applyEvent(view, event('node.started', { nodeId: 'yes' }));
  applyEvent(view, event('node.succeeded', { nodeId: 'yes', status: 'succeeded' }));
  const changed = applyEvent(view, event('run.finished', { status: 'succeeded' }));
  assert.deepEqual(changed, ['']);
  // The record says the run had no `unused` node at all: not needed, which is not a branch's skip.
  const record = { id: 'r', status: 'succeeded', nodes: { branch: { status: 'succeeded' }, yes: { status: 'succeeded' }, no: { status: 'skipped' } } } as unknown as RunRecord;
  assert.deepEqual(settleFromRecord(view, record), ['unused']);
  assert.deepEqual(view.nodes.unused, { status: 'skipped', notNeeded: true });
  assert.equal(view.nodes.no.notNeeded, undefined);
});

test('the record settles a skipped node no event told about', () => {
  const view = emptyRun('r', ['a', 'b']);
  const record = { id: 'r', status: 'succeeded', nodes: { a: { status: 'succeeded' }, b: { status: 'skipped' } } } as unknown as RunRecord;
  settleFromRecord(view, record);
  assert.equal(view.nodes.b.status, 'skipped');
  assert.equal(view.nodes.b.notNeeded, undefined);
});

test('an approval waits (with its instructions and timeout), the run shows waiting, then the decision ends it', () => {
  const view = emptyRun('r', ['extract', 'review', 'summary']);
  applyEvent(view, event('node.started', { nodeId: 'extract' }));
  applyEvent(view, event('node.succeeded', { nodeId: 'extract', status: 'succeeded' }));
  assert.equal(shownRunStatus(view), 'running');
  const until = '2026-12-01T10:00:00.000Z';
  assert.deepEqual(applyEvent(view, event('node.waiting', { nodeId: 'review', waitingUntil: until, approval: { instructions: 'Check the dose.' } })), ['review']);
  assert.equal(view.nodes.review.status, 'waiting');
  assert.equal(view.nodes.review.waitingUntil, until);
  assert.equal(view.nodes.review.approval?.instructions, 'Check the dose.');
  assert.equal(shownRunStatus(view), 'waiting');
  assert.deepEqual(waitingApprovals(view, ['review', 'summary']), ['review']);
  assert.deepEqual(waitingApprovals(undefined, ['review']), []);
  applyEvent(view, event('node.succeeded', { nodeId: 'review', status: 'succeeded', approval: { instructions: 'Check the dose.', decision: 'approved', edited: true } }));
  assert.equal(view.nodes.review.status, 'succeeded');
  assert.equal(view.nodes.review.waitingUntil, undefined);
  assert.deepEqual(view.nodes.review.approval, { instructions: 'Check the dose.', decision: 'approved', edited: true });
  assert.equal(shownRunStatus(view), 'running');
  assert.deepEqual(waitingApprovals(view, ['review']), []);
});

test('a run that ends while a node waits cancels the node; a failed run shows failed, not waiting', () => {
  const view = emptyRun('r', ['wait']);
  applyEvent(view, event('node.waiting', { nodeId: 'wait', waitingUntil: '2026-12-01T10:00:00.000Z' }));
  assert.deepEqual(applyEvent(view, event('run.finished', { status: 'cancelled' })), ['', 'wait']);
  assert.equal(view.nodes.wait.status, 'cancelled');
  assert.equal(shownRunStatus(view), 'cancelled');
  // A delay that started again (the workflow resumed it) is running, not waiting.
  const other = emptyRun('r2', ['d']);
  applyEvent(other, event('node.waiting', { nodeId: 'd' }));
  applyEvent(other, event('node.started', { nodeId: 'd' }));
  assert.equal(other.nodes.d.status, 'running');
});

test('a mapped node counts its items from node.progress (done / total, failed), and keeps them when it ends', () => {
  const view = emptyRun('r', ['ocr']);
  applyEvent(view, event('node.started', { nodeId: 'ocr' }));
  applyEvent(view, event('node.progress', { nodeId: 'ocr', items: { total: 12, done: 3, failed: 0 } }));
  assert.deepEqual(view.nodes.ocr.items, { total: 12, done: 3, failed: 0 });
  assert.equal(view.nodes.ocr.progress, 0.25, 'the bar follows the items when no fraction is given');
  assert.deepEqual(itemsLabel(view.nodes.ocr.items), { progress: '3 / 12' });
  applyEvent(view, event('node.progress', { nodeId: 'ocr', fraction: 0.5, items: { total: 12, done: 6, failed: 1 } }));
  assert.equal(view.nodes.ocr.progress, 0.5);
  assert.deepEqual(itemsLabel(view.nodes.ocr.items), { progress: '6 / 12', failed: '1 failed' });
  // A progress event without items (a plain node's) keeps the counts.
  applyEvent(view, event('node.progress', { nodeId: 'ocr', fraction: 0.6 }));
  assert.equal(view.nodes.ocr.items?.done, 6);
  applyEvent(view, event('node.succeeded', { nodeId: 'ocr', status: 'succeeded', items: { total: 12, done: 12, failed: 1 } }));
  assert.deepEqual(view.nodes.ocr.items, { total: 12, done: 12, failed: 1 });
  assert.equal(itemsLabel(undefined), undefined);
  // Progress on a node not started yet starts it.
  const early = emptyRun('r', ['m']);
  applyEvent(early, event('node.progress', { nodeId: 'm', items: { total: 2, done: 1 } }));
  assert.deepEqual([early.nodes.m.status, early.nodes.m.items], ['running', { total: 2, done: 1, failed: 0 }]);
});

test('the record seeds what the events do not carry, and settles the final item counts', () => {
  const view = emptyRun('r', ['map', 'sub', 'review']);
  const record = {
    id: 'r', status: 'running',
    nodes: {
      map: { status: 'running', items: { total: 3, done: 2, failed: 0 } },
      sub: { status: 'running', child: { runId: 'r.sub', pipelineId: 'child', version: 2 } },
      review: { status: 'waiting', waitingUntil: '2026-12-01T10:00:00.000Z', approval: { instructions: 'Look.' } },
    },
  } as unknown as RunRecord;
  seedFromRecord(view, record);
  assert.equal(view.nodes.map.status, 'pending', 'statuses are left to the events');
  assert.deepEqual(view.nodes.map.items, { total: 3, done: 2, failed: 0 });
  assert.deepEqual(view.nodes.sub.child, { runId: 'r.sub', pipelineId: 'child', version: 2 });
  assert.equal(view.nodes.review.waitingUntil, '2026-12-01T10:00:00.000Z');
  applyEvent(view, event('node.started', { nodeId: 'map' }));
  applyEvent(view, event('node.succeeded', { nodeId: 'map', status: 'succeeded' }));
  const done = { id: 'r', status: 'succeeded', nodes: { ...record.nodes, map: { status: 'succeeded', items: { total: 3, done: 3, failed: 0 } } } } as unknown as RunRecord;
  assert.ok(settleFromRecord(view, done).includes('map'));
  assert.deepEqual(view.nodes.map.items, { total: 3, done: 3, failed: 0 });
});

test('a pipeline node links its child run: from its state, else `<run>.<node>` with the pipeline of its params', () => {
  assert.equal(childRunOf('r', 'sub', { pipeline: 'child' }, undefined), undefined);
  assert.equal(childRunOf('r', 'sub', { pipeline: 'child' }, { status: 'pending' }), undefined);
  assert.equal(childRunOf('r', 'sub', { pipeline: 'child' }, { status: 'skipped' }), undefined);
  assert.equal(childRunOf('r', 'sub', {}, { status: 'running' }), undefined, 'not a pipeline node');
  assert.deepEqual(childRunOf('r', 'sub', { pipeline: 'child', version: 3 }, { status: 'running' }), { runId: 'r.sub', pipelineId: 'child', version: 3 });
  assert.deepEqual(childRunOf('r', 'sub', { pipeline: 'child' }, { status: 'succeeded', child: { runId: 'x', pipelineId: 'y', version: 1 } }), { runId: 'x', pipelineId: 'y', version: 1 });
});

test('waiting times read as "in 2 min 5 s", the time when far away, and "any moment" when past', () => {
  const now = Date.parse('2026-12-01T10:00:00.000Z');
  assert.equal(untilLabel('2026-12-01T10:02:05.000Z', now), 'in 2 min 5 s');
  assert.equal(untilLabel('2026-12-01T10:00:12.400Z', now), 'in 12 s');
  assert.equal(untilLabel('2026-12-01T09:59:00.000Z', now), 'any moment');
  assert.match(untilLabel('2026-12-05T10:00:00.000Z', now), /^until /);
  assert.equal(untilLabel(undefined, now), '');
  assert.equal(untilLabel('not a time', now), '');
});

const template: PipelineNode = { id: 'each', type: 'text-template', params: { template: 'Hi {{name}}' } };
const ports = [{ key: 'name', kind: 'text' as const }, { key: 'tags', kind: 'text[]' as const }, { key: 'anything', kind: 'any' as const }];

test('map form: only single-valued inputs can be mapped over, by the engine\'s rule', () => {
  const options = mapPortOptions(template, ports);
  assert.deepEqual(options.map((o) => [o.port, o.ok]), [['name', true], ['tags', false], ['anything', true]]);
  assert.equal(options[0].listKind, 'text[]');
  assert.match(options[1].reason ?? '', /already a list/);
  assert.equal(options[2].listKind, 'any', 'an untyped input takes a list of anything (validation checks a list is wired in)');
  // Mapped, the port is drawn as a list: it still reads as its single kind.
  const mapped = { ...template, map: { port: 'name' } };
  const again = mapPortOptions(mapped, [{ key: 'name', kind: 'text[]' }, { key: 'tags', kind: 'text[]' }]);
  assert.deepEqual(again.map((o) => [o.port, o.kind, o.ok]), [['name', 'text', true], ['tags', 'text[]', false]]);
});

test('map form: turning it on writes an explicit `map` (defaults left out), off removes it', () => {
  const options = mapPortOptions(template, ports);
  assert.deepEqual(mapFormOf(template), { on: false, port: '', concurrency: '', onItemError: 'fail' });
  const on = applyMapForm(template, { ...mapFormOf(template), on: true }, options);
  assert.deepEqual(on.node.map, { port: 'name' }, 'the first input that can be mapped');
  assert.equal(on.problem, undefined);
  const tuned = applyMapForm(on.node, { on: true, port: 'name', concurrency: '3', onItemError: 'continue' }, options);
  assert.deepEqual(tuned.node.map, { port: 'name', concurrency: 3, onItemError: 'continue' });
  assert.deepEqual(mapFormOf(tuned.node), { on: true, port: 'name', concurrency: '3', onItemError: 'continue' });
  // The default concurrency and failure mode are not written; an empty field is the default.
  assert.deepEqual(applyMapForm(tuned.node, { on: true, port: 'name', concurrency: '4', onItemError: 'fail' }, options).node.map, { port: 'name' });
  assert.deepEqual(applyMapForm(tuned.node, { on: true, port: 'name', concurrency: '', onItemError: 'continue' }, options).node.map, { port: 'name', onItemError: 'continue' });
  // A number out of range is reported and the file keeps the one it had.
  const bad = applyMapForm(tuned.node, { on: true, port: 'name', concurrency: '500', onItemError: 'continue' }, options);
  assert.equal(bad.problem, 'A whole number from 1 to 100.');
  assert.equal(bad.node.map?.concurrency, 3);
  assert.deepEqual([concurrencyProblem(''), concurrencyProblem('1'), concurrencyProblem('100'), concurrencyProblem('0'), concurrencyProblem('2.5')], ['', '', '', 'A whole number from 1 to 100.', 'A whole number from 1 to 100.']);
  const off = applyMapForm(tuned.node, { ...mapFormOf(tuned.node), on: false }, options);
  assert.equal('map' in off.node, false);
  assert.deepEqual(off.node, template);
  // Off when already off: the same node (no edit recorded).
  assert.equal(applyMapForm(template, mapFormOf(template), options).node, template);
});

test('map form: a node with nothing to map over says why and is left as it is', () => {
  const join: PipelineNode = { id: 'j', type: 'join' };
  const result = applyMapForm(join, { on: true, port: '', concurrency: '', onItemError: 'fail' }, mapPortOptions(join, [{ key: 'items', kind: 'text[]' }]));
  assert.equal(result.node, join);
  assert.match(result.problem ?? '', /no single-valued input.*items: it is already a list/);
});

test('map form: the summary and the catalog ports as mapping makes them', () => {
  const options = mapPortOptions(template, ports);
  assert.match(mapSummary(options[0], { on: true, port: 'name', concurrency: '', onItemError: 'fail' }), /list \(text\[\]\) to "name".*One failed item fails the node/);
  assert.match(mapSummary(options[0], { on: true, port: 'name', concurrency: '', onItemError: 'continue' }), /"itemErrors" output lists them/);
  assert.equal(mapSummary(options[0], { on: false, port: '', concurrency: '', onItemError: 'fail' }), '');
  const catalog = { inputs: { name: { kind: 'text' } }, outputs: { text: { kind: 'text' }, parts: { kind: 'json[]' } } };
  assert.equal(withMapPorts(catalog, undefined), catalog);
  const mapped = withMapPorts(catalog, { port: 'name', onItemError: 'continue' });
  assert.deepEqual(Object.fromEntries(Object.entries(mapped.inputs).map(([k, v]) => [k, v.kind])), { name: 'text[]' });
  assert.deepEqual(Object.fromEntries(Object.entries(mapped.outputs).map(([k, v]) => [k, v.kind])), { text: 'text[]', parts: 'json[]', itemErrors: 'json' });
});

test('approval form: JSON and text are edited, media is not; edits are parsed and compared', () => {
  assert.deepEqual(['json', 'text', 'any', 'json[]', 'text[]', 'image', 'image[]', undefined].map((k) => draftKind(k as never)), ['json', 'text', 'json', 'json', 'json', 'none', 'none', 'json']);
  const received = { drug: 'metformin', dose: '500 mg' };
  const text = initialDraft('json', received);
  assert.equal(text, JSON.stringify(received, null, 2));
  assert.equal(isEdited(received, parseDraft('json', text)), false);
  assert.equal(isEdited(received, parseDraft('json', '{ "dose": "500 mg", "drug": "metformin" }')), false, 'key order does not count');
  const edit = parseDraft('json', '{ "drug": "metformin", "dose": "850 mg" }');
  assert.deepEqual(edit, { ok: true, value: { drug: 'metformin', dose: '850 mg' } });
  assert.equal(isEdited(received, edit), true);
  const broken = parseDraft('json', '{ "drug": ');
  assert.equal(broken.ok, false);
  assert.match(!broken.ok ? broken.error : '', /^Not JSON/);
  assert.equal(isEdited(received, broken), false);
  assert.match((parseDraft('json', '  ') as { error: string }).error, /Empty/);
  assert.match((parseDraft('json', '{"a":1}', 'json[]') as { error: string }).error, /JSON array/);
  assert.match((parseDraft('json', '["a", 2]', 'text[]') as { error: string }).error, /string/);
  assert.deepEqual(parseDraft('json', '["a", "b"]', 'text[]'), { ok: true, value: ['a', 'b'] });
  assert.deepEqual(parseDraft('text', 'anything at all'), { ok: true, value: 'anything at all' });
  assert.equal(initialDraft('text', 'Hello'), 'Hello');
  assert.equal(parseDraft('none', '').ok, false);
});

test('approval form: the API\'s refusals read as what they mean', () => {
  assert.match(refusalText({ code: 'NODE_NOT_WAITING', status: 409, message: 'Node "review" is not waiting.' }), /not waiting any more.*Node "review"/);
  assert.match(refusalText({ code: 'APPROVAL_VALUE_INVALID', status: 400, message: 'expected json' }), /^The value was refused: expected json/);
  assert.equal(refusalText({ code: 'RUN_NOT_FOUND', status: 404, message: 'No run "x".' }), 'No run "x".');
});
