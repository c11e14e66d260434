import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionRule, PORT_KINDS } from '../../engine/ports.ts';
import { canConnect, socketLook } from '../../editor/src/model/kinds.ts';

test('the editor allows exactly the connections the engine allows', () => {
  for (const from of PORT_KINDS) for (const to of PORT_KINDS) assert.deepEqual(canConnect(from, to), connectionRule(from, to), `${from} -> ${to}`);
});

test('refusals carry a reason to show', () => {
  const rule = canConnect('text', 'json');
  assert.equal(rule.ok, false);
  assert.match(!rule.ok ? rule.reason : '', /text output cannot feed a json input/);
  assert.equal(canConnect(undefined, 'text').ok, false);
  assert.equal(canConnect('audio', undefined).ok, false);
  assert.deepEqual(canConnect('image', 'image[]'), { ok: true, mode: 'wrap' });
});

test('each element kind has its own colour and lists look different from single values', () => {
  const colours = new Set(['text', 'json', 'image', 'audio', 'document', 'embedding', 'any'].map((k) => socketLook(k as never).color));
  assert.equal(colours.size, 7);
  assert.equal(socketLook('image[]').color, socketLook('image').color);
  assert.equal(socketLook('image[]').list, true);
  assert.equal(socketLook('image').list, false);
});
