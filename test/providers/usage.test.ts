/** The price table and cost arithmetic. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateCost, priceOf, PRICES, sumUsage, withCost, type PriceTable } from '../../engine/providers/usage.ts';

test('the price table is dated and covers the common models', () => {
  assert.match(PRICES.as_of, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(PRICES.currency, 'USD');
  for (const model of ['gpt-4o', 'gpt-4o-mini', 'whisper-1', 'gpt-4o-transcribe', 'text-embedding-3-small', 'text-embedding-3-large']) {
    assert.ok(PRICES.vendors.openai![model], model);
  }
  for (const model of ['claude-sonnet-4-5', 'claude-3-5-haiku', 'claude-haiku-4-5']) assert.ok(PRICES.vendors.anthropic![model], model);
});

test('tokens, audio minutes and images are priced per the table', () => {
  assert.equal(estimateCost({ provider: 'openai', model: 'gpt-4o', inputTokens: 1_000_000, outputTokens: 100_000 }), 2.5 + 1);
  assert.equal(estimateCost({ provider: 'openai', model: 'whisper-1', audioSeconds: 90 }), 0.009);
  assert.equal(estimateCost({ provider: 'openai', model: 'text-embedding-3-small', inputTokens: 5 }), 1e-7);
  const table: PriceTable = { as_of: '2026-01-01', currency: 'USD', vendors: { acme: { 'img-gen': { perImage: 0.04 } } } };
  assert.equal(estimateCost({ provider: 'acme', model: 'img-gen', images: 3 }, { table }), 0.12);
});

test('token figures win over minutes for models priced both ways; minutes are the fallback', () => {
  const tokens = estimateCost({ provider: 'openai', model: 'gpt-4o-transcribe', inputTokens: 1000, outputTokens: 100, audioSeconds: 60 });
  assert.equal(tokens, (1000 * 2.5 + 100 * 10) / 1e6);
  assert.equal(estimateCost({ provider: 'openai', model: 'gpt-4o-transcribe', audioSeconds: 60 }), 0.006);
});

test('dated model ids fall back to the undated price', () => {
  assert.deepEqual(priceOf('openai', 'gpt-4o-2024-08-06'), PRICES.vendors.openai!['gpt-4o']);
  assert.deepEqual(priceOf('anthropic', 'claude-3-5-haiku-20241022'), PRICES.vendors.anthropic!['claude-3-5-haiku']);
  assert.deepEqual(priceOf('anthropic', 'claude-3-5-haiku-latest'), PRICES.vendors.anthropic!['claude-3-5-haiku']);
});

test('unknown models, unpriced providers and figure-less calls have no cost (undefined, not 0)', () => {
  assert.equal(estimateCost({ provider: 'openai', model: 'gpt-99', inputTokens: 10 }), undefined);
  assert.equal(estimateCost({ provider: 'compatible', model: 'gpt-4o', inputTokens: 10 }), undefined, 'a local server calling its model gpt-4o is free');
  assert.equal(estimateCost({ provider: 'openai', model: 'gpt-4o' }), undefined);
  assert.equal(withCost({ provider: 'compatible', model: 'gpt-4o', inputTokens: 10 }, undefined).costUsd, undefined);
  assert.equal(withCost({ provider: 'proxy', model: 'gpt-4o', inputTokens: 1e6 }, 'openai').costUsd, 2.5);
});

test('sumUsage totals per provider and model, and counts unpriced calls', () => {
  const totals = sumUsage([
    { provider: 'openai', model: 'gpt-4o', inputTokens: 100, outputTokens: 10, costUsd: 0.0001, images: 1 },
    { provider: 'openai', model: 'gpt-4o', inputTokens: 200, outputTokens: 20, costUsd: 0.0002 },
    { provider: 'openai', model: 'whisper-1', audioSeconds: 30, costUsd: 0.003 },
    { provider: 'compatible', model: 'llama3.2', inputTokens: 50 },
  ]);
  assert.equal(totals.calls, 4);
  assert.equal(totals.unpricedCalls, 1);
  assert.equal(totals.costUsd, 0.0033);
  assert.deepEqual(totals.byModel, [
    { provider: 'openai', model: 'gpt-4o', inputTokens: 300, outputTokens: 30, images: 1, costUsd: 0.0003 },
    { provider: 'openai', model: 'whisper-1', audioSeconds: 30, costUsd: 0.003 },
    { provider: 'compatible', model: 'llama3.2', inputTokens: 50 },
  ]);
  assert.deepEqual(sumUsage([]), { calls: 0, costUsd: 0, unpricedCalls: 0, byModel: [] });
});
