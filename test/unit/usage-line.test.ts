/** The CLI's usage line: unpriced calls are "unknown", never $0, and the price table's date is shown. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usageLine } from '../../engine/cli/usage-line.ts';

const node = (usage: object[]) => ({ status: 'succeeded' as const, usage: usage as never });

test('priced calls: the estimate with the date of the list prices', () => {
  const line = usageLine({ a: node([{ provider: 'openai', model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 5, costUsd: 0.0012 }]) }, '2025-11-24');
  assert.equal(line, '1 provider call, 10 input + 5 output tokens, estimated $0.0012 (list prices as of 2025-11-24 in engine/providers/prices.json)');
});

test('a model missing from the price table is unknown, not $0.0000', () => {
  const line = usageLine({ a: node([{ provider: 'compatible', model: 'llama3', inputTokens: 3, outputTokens: 4 }]) }, '2025-11-24');
  assert.equal(line, '1 provider call, 3 input + 4 output tokens, cost unknown for 1 call (compatible/llama3 not in the price table; list prices as of 2025-11-24 in engine/providers/prices.json)');
  assert.doesNotMatch(line!, /\$0\.0000/);
});

test('priced and unpriced calls together: the known part plus unknown', () => {
  const line = usageLine({
    a: node([{ provider: 'openai', model: 'gpt-4o', inputTokens: 1, outputTokens: 1, costUsd: 0.5 }]),
    b: node([{ provider: 'openai', model: 'gpt-9', inputTokens: 1, outputTokens: 1 }]),
  }, '2025-11-24');
  assert.match(line!, /cost estimated \$0\.5000 \+ unknown for 1 call \(openai\/gpt-9 not in the price table;/);
  assert.equal(usageLine({ a: { status: 'succeeded' } }), undefined);
});
