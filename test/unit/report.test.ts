/** The CLI's one-line error format: a failing node's own details are shown, validation details are not. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatError } from '../../engine/cli/report.ts';

test('a failed node shows the details its NodeError carried, on the same line', () => {
  const line = formatError({ code: 'NODE_FAILED', message: 'Node "q" (quota) failed: used up', nodeId: 'q', details: { code: 'QUOTA', details: { limit: 5 } } });
  assert.equal(line, 'NODE_FAILED [node "q"]: Node "q" (quota) failed: used up (details: {"limit":5})');
});

test('errors without node details stay as they were', () => {
  assert.equal(formatError({ code: 'NODE_FAILED', message: 'boom', nodeId: 'q', details: { code: 'X' } }), 'NODE_FAILED [node "q"]: boom');
  assert.equal(formatError({ code: 'UNKNOWN_PORT', message: 'no port', nodeId: 'a', port: 'p', details: { details: 'schema path' } }), 'UNKNOWN_PORT [node "a" port "p"]: no port');
});
