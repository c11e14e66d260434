import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { emptyPipeline } from '../../editor/src/model/ops.ts';
import { History } from '../../editor/src/views/history.ts';

const named = (name: string): Pipeline => emptyPipeline(name);

test('undo and redo walk through whole documents; a new edit drops the redo branch', () => {
  const h = new History();
  const [a, b, c] = [named('a'), named('b'), named('c')];
  h.record(a);
  h.record(b);
  assert.equal(h.undo(c), b);
  assert.equal(h.undo(b), a);
  assert.equal(h.undo(a), undefined);
  assert.equal(h.redo(a), b);
  h.record(b);
  assert.equal(h.canRedo, false);
});

test('typing in one field is one step, not one per key', () => {
  const h = new History();
  h.record(named('before'), 'param:llm:prompt');
  h.record(named('typing-1'), 'param:llm:prompt');
  h.record(named('typing-2'), 'param:llm:prompt');
  assert.equal(h.undo(named('now'))?.name, 'before');
  assert.equal(h.canUndo, false);
  h.record(named('x'), 'param:llm:prompt');
  h.record(named('y'), 'param:llm:system');
  assert.equal(h.undo(named('now'))?.name, 'y', 'another field starts a new step');
});
