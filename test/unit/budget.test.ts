/**
 * Cost budgets without Temporal: the ledger's rules (workflows/budget-ledger.ts), the estimate of one call
 * (engine/budget/estimate-call.ts), the guarded provider path that reserves before and settles after each
 * call (engine/budget/guarded-providers.ts), and the estimate of a whole run (engine/budget/run-estimate.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { openLedger, remainingUsd, reserve, settle, summary, type BudgetReserveRequest, type LedgerState } from '../../workflows/budget-ledger.ts';
import { chatShape, ESTIMATE_RULES, formatUsd, priceCall, transcribeShape } from '../../engine/budget/estimate-call.ts';
import { guardProviders, type BudgetLedger } from '../../engine/budget/guarded-providers.ts';
import { DEFAULT_MODELS, estimateRun } from '../../engine/budget/run-estimate.ts';
import { withRunBudget } from '../../engine/budget/run-budget.ts';
import { NodeError } from '../../engine/node-sdk/define-node.ts';
import { validatePipeline } from '../../engine/pipeline/validate.ts';
import { AnthropicProvider } from '../../engine/providers/anthropic.ts';
import { OpenAIProvider } from '../../engine/providers/openai.ts';
import type { ChatRequest, ChatResult, Providers } from '../../engine/providers/types.ts';
import { withCost } from '../../engine/providers/usage.ts';
import { compilePlan } from '../../engine/run/plan.ts';
import { createRegistry } from '../../nodes/index.ts';

const ask = (nodeId: string, estimateUsd: number): BudgetReserveRequest => ({ nodeId, attempt: 1, estimateUsd, call: 'openai gpt-4o-mini chat' });

test('the ledger grants what fits, refuses what would go over, and settling gives the difference back', () => {
  let ledger = openLedger(0.01);
  const first = reserve(ledger, ask('a', 0.006));
  assert.equal(first.answer.granted, true);
  ledger = first.state;
  assert.equal(remainingUsd(ledger), 0.004);

  // A second branch asking for as much at the same time: only 0.004 is left.
  const second = reserve(ledger, ask('b', 0.006));
  assert.deepEqual(second.answer, { granted: false, budgetUsd: 0.01, spentUsd: 0, heldUsd: 0.006, remainingUsd: 0.004 });
  ledger = second.state;
  assert.equal(ledger.nodes.b.refused, 1);

  // The first call cost less than its estimate: the rest goes back, and now the second fits.
  assert.equal(first.answer.granted && first.answer.reservationId, 'a#1');
  ledger = settle(ledger, { reservationId: 'a#1', costUsd: 0.001 });
  assert.equal(ledger.spentUsd, 0.001);
  assert.equal(ledger.heldUsd, 0);
  assert.equal(settle(ledger, { reservationId: 'a#1', costUsd: 0.001 }), ledger, 'settling twice changes nothing');
  const third = reserve(ledger, ask('b', 0.006));
  assert.equal(third.answer.granted, true);
  ledger = third.state;
  assert.deepEqual(summary(ledger), {
    budgetUsd: 0.01, spentUsd: 0.001, heldUsd: 0.006, remainingUsd: 0.003,
    nodes: { a: { spentUsd: 0.001, heldUsd: 0, calls: 1, refused: 0 }, b: { spentUsd: 0, heldUsd: 0.006, calls: 1, refused: 1 } },
  });
});

test('the ledger: exactly the budget fits; floating-point sums do not refuse the last cent', () => {
  let ledger: LedgerState = openLedger(0.3);
  for (const [i, estimate] of [0.1, 0.1, 0.1].entries()) {
    const r = reserve(ledger, ask(`n${i}`, estimate));
    assert.equal(r.answer.granted, true, `reservation ${i}`);
    ledger = r.state;
  }
  assert.equal(reserve(ledger, ask('x', 0.000001)).answer.granted, false);
  assert.equal(reserve(openLedger(0), ask('x', 0)).answer.granted, true, 'a free call fits a zero budget');
});

test('one call\'s estimate: chars / 4, 4 tokens a message, 1,600 per image, the output limit, at list prices', () => {
  const request: ChatRequest = {
    model: 'gpt-4o-mini',
    system: 'x'.repeat(400),
    messages: [{ role: 'user', content: [{ type: 'text', text: 'y'.repeat(3999) }, { type: 'image', image: { data: Buffer.alloc(10), mime: 'image/png' } }] }],
  };
  const shape = chatShape('openai', 'chat', request, 1000);
  assert.deepEqual(shape, { provider: 'openai', model: 'gpt-4o-mini', operation: 'chat', inputTokens: 100 + 1000 + 8, images: 1, audioSeconds: 0, maxOutputTokens: 1000 });
  const priced = priceCall(shape, 'openai');
  // gpt-4o-mini: $0.15 / 1M input, $0.60 / 1M output.
  const input = ((1108 + ESTIMATE_RULES.tokensPerImage) * 0.15) / 1e6;
  assert.equal(priced.inputUsd, Math.round(input * 1e9) / 1e9);
  assert.equal(priced.usd, Math.round((input + (1000 * 0.6) / 1e6) * 1e9) / 1e9);
  assert.equal(priceCall(shape, undefined).unpriced, 'no-vendor');
  assert.equal(priceCall({ ...shape, model: 'gpt-9' }, 'openai').unpriced, 'not-in-table');

  // Audio at the model's per-minute price: the measured duration, else bytes / 2,000.
  const audio = { data: Buffer.alloc(120_000), mime: 'audio/ogg' };
  assert.equal(priceCall(transcribeShape('openai', { model: 'whisper-1', audio, durationSeconds: 30 }), 'openai').usd, 0.003);
  assert.equal(transcribeShape('openai', { model: 'whisper-1', audio }).audioSeconds, 60);
  assert.equal(formatUsd(0.002643), '$0.002643');
  assert.equal(formatUsd(1.5), '$1.50');
  assert.equal(formatUsd(0.0000004), '$0.0000004');
});

/** A chat provider double that records the requests it got and answers with the given token counts. */
function fakeChat(vendor: string | undefined, answer = { inputTokens: 100, outputTokens: 50 }) {
  const requests: ChatRequest[] = [];
  const chat = {
    defaultModel: 'gpt-4o-mini',
    imageLimits: () => ({ formats: ['png'] as const }),
    async chat(request: ChatRequest): Promise<ChatResult> {
      requests.push(request);
      const text = JSON.stringify(request.messages);
      if (text.includes('answer 400')) throw new NodeError('PROVIDER_BAD_REQUEST', 'bad', { details: { status: 400 } });
      if (text.includes('time out')) throw new NodeError('PROVIDER_TIMEOUT', 'slow', { retryable: true });
      return { text: 'ok', usage: withCost({ provider: 'openai', model: request.model, ...answer }, vendor) };
    },
  };
  const providers: Providers = {
    names: () => ['openai'],
    offers: (name, capability) => name === 'openai' && capability === 'chat',
    require: (() => chat) as never,
    pricing: () => vendor,
  };
  return { providers, requests };
}

/** The ledger's rules behind the interface activities use (the workflow holds the same state). */
function memoryLedger(usd: number): BudgetLedger & { state: () => LedgerState; calls: string[] } {
  let state = openLedger(usd);
  const calls: string[] = [];
  return {
    calls,
    state: () => state,
    async reserve(request) {
      calls.push('reserve');
      const r = reserve(state, request);
      state = r.state;
      return r.answer;
    },
    async settle(request) {
      calls.push('settle');
      state = settle(state, request);
      return summary(state);
    },
  };
}

const chatRequest = (model = 'gpt-4o-mini', maxTokens?: number, text = 'hello'): ChatRequest => ({ model, messages: [{ role: 'user', content: [{ type: 'text', text }] }], maxTokens });

test('a call the budget cannot cover is refused before the provider sees it, naming the node, the estimate and what is left', async () => {
  const { providers, requests } = fakeChat('openai');
  const ledger = memoryLedger(0.001);
  const guarded = guardProviders(providers, { nodeId: 'summary', attempt: 1, ledger });
  // gpt-4o at 4,096 output tokens: $0.041 at least.
  await assert.rejects(guarded.require('openai', 'chat').chat(chatRequest('gpt-4o')), (err: NodeError) => {
    assert.equal(err.code, 'BUDGET_EXCEEDED');
    assert.equal(err.options.retryable, false);
    assert.match(err.message, /^Node "summary" stopped before calling openai gpt-4o chat: the call is estimated at \$0\.04\d+ \(\d+ input tokens \+ up to 4,096 output tokens\), and \$0\.001 of the run's \$0\.001 budget is left/);
    assert.match(err.message, /Nothing was sent/);
    const details = err.options.details as { estimateUsd: number; remainingUsd: number; maxOutputTokens: number };
    assert.equal(details.remainingUsd, 0.001);
    assert.equal(details.maxOutputTokens, ESTIMATE_RULES.defaultMaxOutputTokens);
    assert.ok(details.estimateUsd > 0.04);
    return true;
  });
  assert.equal(requests.length, 0, 'the provider got nothing');
  assert.deepEqual(ledger.calls, ['reserve']);
});

test('a granted call is sent with an output limit and settles at its actual cost', async () => {
  const { providers, requests } = fakeChat('openai');
  const ledger = memoryLedger(1);
  const chat = guardProviders(providers, { nodeId: 'summary', attempt: 1, ledger }).require('openai', 'chat');
  assert.equal(chat.defaultModel, 'gpt-4o-mini', 'the capability\'s other members are there');
  const result = await chat.chat(chatRequest());
  assert.equal(requests[0].maxTokens, ESTIMATE_RULES.defaultMaxOutputTokens, 'a budgeted call without a limit gets one');
  assert.deepEqual(ledger.calls, ['reserve', 'settle']);
  assert.equal(ledger.state().heldUsd, 0);
  assert.equal(ledger.state().spentUsd, result.usage.costUsd, 'settled with the usage\'s cost');

  // The node's own limit lowers a larger maxTokens (and is used when there is none).
  const limited = guardProviders(providers, { nodeId: 'n', attempt: 1, maxOutputTokens: 200 }).require('openai', 'chat');
  await limited.chat(chatRequest('gpt-4o-mini', 1000));
  await limited.chat(chatRequest('gpt-4o-mini', 50));
  await limited.chat(chatRequest('gpt-4o-mini'));
  assert.deepEqual(requests.slice(1).map((r) => r.maxTokens), [200, 50, 200]);
  assert.equal(guardProviders(providers, { nodeId: 'n', attempt: 1 }), providers, 'no budget, no limit: the providers as they are');
});

test('failed calls: refused by the provider settle at 0, may-have-been-charged ones (a timeout) at their estimate', async () => {
  const { providers } = fakeChat('openai');
  const ledger = memoryLedger(1);
  const chat = guardProviders(providers, { nodeId: 'n', attempt: 1, ledger }).require('openai', 'chat');
  await assert.rejects(chat.chat(chatRequest('gpt-4o-mini', 100, 'answer 400')), /bad/);
  assert.equal(ledger.state().spentUsd, 0, 'a 400 is not charged');
  assert.equal(ledger.state().heldUsd, 0);
  await assert.rejects(chat.chat(chatRequest('gpt-4o-mini', 100, 'time out')), /slow/);
  assert.equal(ledger.state().spentUsd, priceCall(chatShape('openai', 'chat', chatRequest('gpt-4o-mini', 100, 'time out'), 100), 'openai').usd);
  assert.equal(ledger.state().heldUsd, 0);
});

test('under a budget, a model missing from the price table is refused; a provider no vendor bills is not counted', async () => {
  const { providers, requests } = fakeChat('openai');
  const ledger = memoryLedger(1);
  await assert.rejects(guardProviders(providers, { nodeId: 'n', attempt: 1, ledger }).require('openai', 'chat').chat(chatRequest('gpt-9')), (err: NodeError) => {
    assert.equal(err.code, 'BUDGET_PRICE_UNKNOWN');
    assert.match(err.message, /"gpt-9" is not in openai's price table/);
    return true;
  });
  assert.equal(requests.length, 0);
  assert.deepEqual(ledger.calls, []);

  const free = fakeChat(undefined); // a local server: no vendor bills it
  const freeLedger = memoryLedger(0);
  await guardProviders(free.providers, { nodeId: 'n', attempt: 1, ledger: freeLedger }).require('openai', 'chat').chat(chatRequest('llama3'));
  assert.deepEqual(freeLedger.calls, [], 'not counted');
  assert.equal(free.requests.length, 1);
});

test('the estimate\'s default models are the ones the providers declare', () => {
  const openai = new OpenAIProvider({ name: 'openai', apiKey: 'k' });
  const anthropic = new AnthropicProvider({ name: 'anthropic', apiKey: 'k' });
  assert.deepEqual(DEFAULT_MODELS.openai, {
    chat: openai.chat.defaultModel, vision: openai.chat.defaultVisionModel, structured: openai.structured.defaultModel,
    transcribe: openai.transcribe.defaultModel, embed: openai.embed.defaultModel,
  });
  assert.deepEqual(DEFAULT_MODELS.anthropic, { chat: anthropic.chat.defaultModel, vision: anthropic.chat.defaultVisionModel, structured: anthropic.structured.defaultModel });
});

test('a run\'s estimate: voice-note-to-summary from a measured audio length, with the range, the budget and the assumptions', async () => {
  const registry = createRegistry();
  const doc = JSON.parse(readFileSync(new URL('../../examples/voice-note-to-summary.pipeline.json', import.meta.url), 'utf8'));
  const valid = validatePipeline({ ...doc, budget: { usd: 0.05 } }, registry);
  assert.ok(valid.ok);
  const audio = { sha256: 'a'.repeat(64), mime: 'audio/ogg', size: 48_000 };
  const estimate = await estimateRun(valid.value, compilePlan(valid.value, 'q'), { audio }, { audioSeconds: async () => 120 });
  assert.equal(estimate.budgetUsd, 0.05);
  assert.deepEqual(estimate.nodes.map((n) => [n.nodeId, n.calls.map((c) => `${c.provider} ${c.model} ${c.operation} ${c.calls.min}-${c.calls.max}`)]), [
    ['stt', ['openai whisper-1 transcribe 1-1']],
    ['fields', ['openai gpt-4o structured 1-2']],
    ['summary', ['openai gpt-4o-mini chat 1-1']],
  ]);
  const stt = estimate.nodes[0];
  assert.equal(stt.maxUsd, 0.012, 'two minutes of whisper-1 at $0.006 a minute');
  assert.equal(stt.minUsd, 0.012);
  // The transcript (about 15 characters a second) feeds both AI nodes.
  const summary = estimate.nodes[2].calls[0];
  assert.ok(summary.inputTokens > 450 && summary.inputTokens < 600, `summary input ${summary.inputTokens}`);
  assert.equal(summary.maxOutputTokens, 4096);
  assert.equal(estimate.maxUsd, Math.round(estimate.nodes.reduce((s, n) => s + n.maxUsd, 0) * 1e9) / 1e9);
  assert.ok(estimate.minUsd < estimate.maxUsd);
  assert.equal(estimate.withinBudget, estimate.maxUsd <= 0.05 ? 'yes' : 'maybe');
  assert.deepEqual(estimate.unpriced, []);
  assert.ok(estimate.assumptions.some((a) => /4 characters a token/.test(a)));

  // Without the audio: an assumed minute, said so; a node limit and the cache change the range.
  const limited = structuredClone(doc);
  limited.nodes.find((n: { id: string }) => n.id === 'fields').options = { maxOutputTokens: 500 };
  const v2 = validatePipeline(limited, registry);
  assert.ok(v2.ok);
  const unknown = await estimateRun(v2.value, withRunBudget(compilePlan(v2.value, 'q', undefined, 'on'), 0.001), {});
  assert.ok(unknown.assumptions.some((a) => /input "audio" was not given: assumed 60 s of audio/.test(a)));
  assert.equal(unknown.nodes[1].calls[0].maxOutputTokens, 500);
  assert.equal(unknown.minUsd, 0, 'every node may come from the cache');
  assert.equal(unknown.nodes.every((n) => n.mayBeCached), true);
  assert.equal(unknown.withinBudget, 'maybe');
  assert.equal(unknown.budgetUsd, 0.001);
});

test('a mapped node\'s estimate is one item\'s calls times the number of items', async () => {
  const registry = createRegistry();
  const doc = (map: boolean) => ({
    format: 'tessera.pipeline/v1',
    name: 'captions',
    nodes: [
      { id: 'photos', type: 'input', params: { name: 'photos', kind: 'image[]' } },
      { id: 'describe', type: 'caption', params: { provider: 'openai', model: 'gpt-4o' }, ...(map ? { map: { port: 'image' } } : {}) },
      { id: 'out', type: 'output', params: { name: 'captions' } },
    ],
    edges: [{ from: 'photos.value', to: 'describe.image' }, { from: 'describe.text', to: 'out.value' }],
  });
  const valid = validatePipeline(doc(true), registry);
  assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.errors));
  const photo = (n: number) => ({ sha256: String(n).repeat(64).slice(0, 64), mime: 'image/png', size: 1000 });
  const five = await estimateRun(valid.value, compilePlan(valid.value, 'q'), { photos: [1, 2, 3, 4, 5].map(photo) });
  const one = await estimateRun(valid.value, compilePlan(valid.value, 'q'), { photos: [photo(1)] });
  const calls = (e: typeof five) => e.nodes[0].calls[0].calls;
  assert.deepEqual(calls(five), { min: 5, max: 5 });
  assert.deepEqual(calls(one), { min: 1, max: 1 });
  assert.equal(five.nodes[0].calls[0].images, one.nodes[0].calls[0].images, 'each call sends one image');
  assert.ok(Math.abs(five.maxUsd - 5 * one.maxUsd) < 1e-6, `five items cost five times one (${five.maxUsd} vs ${one.maxUsd})`);
});
