/** connectionRule: the one function that decides whether an output may feed an input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptsManyEdges,
  connectionRule,
  elementKind,
  isListKind,
  isPortKind,
  PORT_KINDS,
  SCALAR_KINDS,
  type PortKind,
} from '../../engine/ports.ts';

test('every kind feeds itself unchanged', () => {
  for (const kind of PORT_KINDS) assert.deepEqual(connectionRule(kind, kind), { ok: true, mode: 'same' }, kind);
});

test('a single value into a list of its kind is wrapped', () => {
  for (const kind of SCALAR_KINDS) {
    assert.deepEqual(connectionRule(kind, `${kind}[]`), { ok: true, mode: 'wrap' }, kind);
  }
});

test('a list never silently becomes one item', () => {
  for (const kind of SCALAR_KINDS) {
    const rule = connectionRule(`${kind}[]`, kind);
    assert.equal(rule.ok, false, kind);
    assert.match((rule as { reason: string }).reason, /list/);
  }
  assert.equal(connectionRule('image[]', 'image').ok, false);
});

test('text and json never convert into each other', () => {
  for (const [from, to] of [
    ['text', 'json'],
    ['json', 'text'],
    ['text[]', 'json[]'],
    ['json', 'text[]'],
  ] as [PortKind, PortKind][]) {
    const rule = connectionRule(from, to);
    assert.equal(rule.ok, false, `${from} -> ${to}`);
    assert.match((rule as { reason: string }).reason, new RegExp(`${from.replace('[]', '\\[\\]')}.*${to.replace('[]', '\\[\\]')}`));
  }
});

test('media kinds do not mix', () => {
  assert.equal(connectionRule('image', 'audio').ok, false);
  assert.equal(connectionRule('image', 'document').ok, false);
  assert.equal(connectionRule('audio', 'image[]').ok, false);
  assert.equal(connectionRule('image[]', 'document[]').ok, false);
  assert.equal(connectionRule('embedding', 'json').ok, false);
});

test('anything feeds an "any" input; an untyped value feeds nothing typed', () => {
  for (const kind of PORT_KINDS) assert.deepEqual(connectionRule(kind, 'any'), { ok: true, mode: 'same' }, kind);
  for (const kind of PORT_KINDS.filter((k) => k !== 'any')) {
    const rule = connectionRule('any', kind);
    assert.equal(rule.ok, false, kind);
    assert.match((rule as { reason: string }).reason, /untyped/);
  }
});

test('the allowed coercions are exactly: same kind, single into its list, anything into any', () => {
  for (const from of PORT_KINDS) {
    for (const to of PORT_KINDS) {
      const expected = to === 'any' || from === to || to === `${from}[]`;
      const rule = connectionRule(from, to);
      assert.equal(rule.ok, expected, `${from} -> ${to}`);
      if (rule.ok) assert.equal(rule.mode, to === `${from}[]` ? 'wrap' : 'same', `${from} -> ${to}`);
      else assert.ok(rule.reason.length > 0);
    }
  }
});

test('only list inputs accept several edges', () => {
  for (const kind of SCALAR_KINDS) {
    assert.equal(acceptsManyEdges(`${kind}[]`), true, kind);
    assert.equal(acceptsManyEdges(kind), false, kind);
  }
  assert.equal(acceptsManyEdges('any'), false);
});

test('kind helpers', () => {
  assert.equal(PORT_KINDS.length, SCALAR_KINDS.length * 2 + 1);
  assert.equal(isPortKind('image[]'), true);
  assert.equal(isPortKind('video'), false);
  assert.equal(isPortKind('text[][]'), false);
  assert.equal(isPortKind(3), false);
  assert.equal(isListKind('audio[]'), true);
  assert.equal(isListKind('audio'), false);
  assert.equal(elementKind('audio[]'), 'audio');
  assert.equal(elementKind('json'), 'json');
  assert.equal(elementKind('any'), 'any');
});
