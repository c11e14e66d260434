/**
 * The shared rate limiter without Temporal: the settings (TESSERA_RATE_LIMITS, --concurrency), the slot
 * arithmetic (slots.ts) on its own and in a simulation with random network delays, and the limiter over
 * real SQLite and PostgreSQL slot tables: several limiter instances on one database (as several worker
 * processes would be) never let more requests through in one interval than the limit, a waiting call
 * heartbeats, and a cancelled one stops waiting at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_WORKER_CONCURRENCY, workerConcurrency } from '../../engine/config.ts';
import { TesseraError } from '../../engine/errors.ts';
import { openRateLimiter, RateLimiter } from '../../engine/limits/rate-limiter.ts';
import { describeRateLimit, parseRateLimits } from '../../engine/limits/rate-limits.ts';
import { rateLimitProviders } from '../../engine/limits/rate-limited-providers.ts';
import { openSlotTable } from '../../engine/limits/slot-table.ts';
import { decide, freeAfterAnswer, heldUntil, IN_FLIGHT_POLL_MS, type SlotState } from '../../engine/limits/slots.ts';
import { OpenAIProvider } from '../../engine/providers/openai.ts';
import type { Providers } from '../../engine/providers/types.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';
import { maxInAnyWindow } from './windows.ts';

describe('settings', () => {
  test('TESSERA_RATE_LIMITS entries: requests per interval per provider', () => {
    assert.deepEqual(parseRateLimits('openai=60/m, anthropic=50/min,local-llm=10/s,x_y=100/10s,slow=1000/h,ms=5/250ms'), [
      { provider: 'openai', limit: 60, intervalMs: 60_000 },
      { provider: 'anthropic', limit: 50, intervalMs: 60_000 },
      { provider: 'local-llm', limit: 10, intervalMs: 1000 },
      { provider: 'x_y', limit: 100, intervalMs: 10_000 },
      { provider: 'slow', limit: 1000, intervalMs: 3_600_000 },
      { provider: 'ms', limit: 5, intervalMs: 250 },
    ]);
    assert.deepEqual(parseRateLimits(undefined), []);
    assert.deepEqual(parseRateLimits(' , '), []);
    assert.deepEqual(parseRateLimits('openai=2/1.5s'), [{ provider: 'openai', limit: 2, intervalMs: 1500 }]);
  });

  test('a malformed entry is a USAGE error naming it', () => {
    for (const bad of ['openai', 'openai=60', 'openai=60/week', 'openai=0/m', 'openai=-1/m', 'OpenAI=60/m', 'openai=60/0s', 'openai=100001/m', 'openai=1/m,openai=2/m']) {
      assert.throws(() => parseRateLimits(bad), (err: unknown) => err instanceof TesseraError && err.code === 'USAGE' && err.message.includes('TESSERA_RATE_LIMITS'), bad);
    }
  });

  test('limits read back as written', () => {
    for (const text of ['60/m', '50/h', '10/s', '100/10s', '5/250ms']) assert.equal(describeRateLimit(parseRateLimits(`p=${text}`)[0]), text);
    assert.equal(describeRateLimit(parseRateLimits('p=60/min')[0]), '60/m');
  });

  test('worker concurrency: the flag, else TESSERA_WORKER_CONCURRENCY, else 100; whole numbers from 1', () => {
    assert.equal(workerConcurrency(undefined, {}), DEFAULT_WORKER_CONCURRENCY);
    assert.equal(DEFAULT_WORKER_CONCURRENCY, 100);
    assert.equal(workerConcurrency(undefined, { TESSERA_WORKER_CONCURRENCY: '8' }), 8);
    assert.equal(workerConcurrency('2', { TESSERA_WORKER_CONCURRENCY: '8' }), 2);
    for (const bad of ['0', '-1', '1.5', 'two', '1e3']) {
      assert.throws(() => workerConcurrency(bad, {}), (err: unknown) => err instanceof TesseraError && err.code === 'USAGE' && err.message.includes('--concurrency'));
      assert.throws(() => workerConcurrency(undefined, { TESSERA_WORKER_CONCURRENCY: bad }), /TESSERA_WORKER_CONCURRENCY/);
    }
  });
});

describe('slot arithmetic', () => {
  const slot = (n: number, freeAt: number, inFlight = false): SlotState => ({ slot: n, freeAt, inFlight });

  test('a slot without a row is free; of the free ones, the one unused for longest is taken', () => {
    assert.deepEqual(decide([], 3, 1000), { grant: 0 });
    assert.deepEqual(decide([slot(0, 2000), slot(2, 1500)], 3, 1000), { grant: 1 });
    assert.deepEqual(decide([slot(0, 900), slot(1, 500), slot(2, 1000)], 3, 1000), { grant: 1 });
  });

  test('slots past the limit are ignored (a worker configured with a lower limit uses fewer)', () => {
    assert.deepEqual(decide([slot(0, 5000), slot(1, 0)], 1, 1000), { waitMs: 4000 });
  });

  test('when every slot is taken: wait until the first frees, looking again often while calls are in flight', () => {
    assert.deepEqual(decide([slot(0, 1800), slot(1, 1300)], 2, 1000), { waitMs: 300 });
    assert.deepEqual(decide([slot(0, 9000, true), slot(1, 5000)], 2, 1000), { waitMs: IN_FLIGHT_POLL_MS });
    assert.deepEqual(decide([slot(0, 1100, true)], 1, 1000), { waitMs: 100 });
  });

  test('a slot is held two intervals while its call is in flight, and frees one interval after the answer', () => {
    assert.equal(heldUntil(10_000, 1000), 12_000);
    assert.equal(freeAfterAnswer(10_000, 10_250, 1000), 11_250);
    // A call answered after more than an interval counts as answered one interval after its grant.
    assert.equal(freeAfterAnswer(10_000, 15_000, 1000), 12_000);
    // A clock that went backwards never frees a slot before one interval after its grant.
    assert.equal(freeAfterAnswer(10_000, 9_000, 1000), 11_000);
  });

  test('simulated: whatever the delays between grant, arrival at the provider and answer, no interval holds more than the limit', () => {
    // A seeded pseudo-random generator: the same run every time.
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const limit = 5;
    const intervalMs = 1000;
    const slots: (SlotState & { holder?: number })[] = [];
    const arrivals: number[] = [];
    // Callers ask at random times; each call's request reaches the provider 0-300 ms after its grant and is
    // answered 0-400 ms after that (sometimes much later); events are processed in time order.
    type Event = { t: number; kind: 'ask' } | { t: number; kind: 'answer'; slot: number; grantedAt: number; holder: number };
    const events: Event[] = Array.from({ length: 400 }, () => ({ t: Math.floor(random() * 20_000), kind: 'ask' as const }));
    while (events.length) {
      events.sort((a, b) => a.t - b.t);
      const event = events.shift()!;
      if (event.kind === 'answer') {
        const s = slots.find((x) => x.slot === event.slot)!;
        // Only the slot's holder hands it back: a call answered after its hold lapsed finds it taken by another.
        if (s.holder === event.holder) Object.assign(s, { freeAt: freeAfterAnswer(event.grantedAt, event.t, intervalMs), inFlight: false, holder: undefined });
        continue;
      }
      const decision = decide(slots, limit, event.t);
      if ('waitMs' in decision) {
        events.push({ t: event.t + decision.waitMs, kind: 'ask' });
        continue;
      }
      const existing = slots.find((x) => x.slot === decision.grant);
      const state = existing ?? { slot: decision.grant, freeAt: 0, inFlight: false };
      if (!existing) slots.push(state);
      Object.assign(state, { freeAt: heldUntil(event.t, intervalMs), inFlight: true, holder: arrivals.length });
      const arrival = event.t + Math.floor(random() * 300);
      arrivals.push(arrival);
      const slow = random() < 0.1 ? 3000 : 0;
      events.push({ t: arrival + Math.floor(random() * 400) + slow, kind: 'answer', slot: decision.grant, grantedAt: event.t, holder: arrivals.length - 1 });
    }
    assert.equal(arrivals.length, 400, 'every caller was served');
    assert.ok(maxInAnyWindow(arrivals, intervalMs) <= limit, `at most ${limit} arrivals in any ${intervalMs} ms`);
    assert.equal(maxInAnyWindow(arrivals, intervalMs), limit, 'and the limit was reached (the load was enough to test it)');
  });
});

/** Calls a limiter instance makes at once: each is a real HTTP request to the fake provider. */
async function hammer(limiters: RateLimiter[], fake: FakeProviders, callsEach: number): Promise<number[]> {
  const arrivals: number[] = [];
  fake.script('chat', ...Array.from({ length: limiters.length * callsEach }, () => () => {
    arrivals.push(Date.now());
    return {};
  }));
  await Promise.all(limiters.map(async (limiter, i) => {
    const openai = new OpenAIProvider({ name: 'openai', apiKey: `sk-limiter-${i}`, baseURL: fake.openaiBaseURL });
    const providers: Providers = { names: () => ['openai'], offers: () => true, require: (_name, capability) => openai[capability as 'chat'] as never };
    const chat = rateLimitProviders(providers, limiter, {}).require('openai', 'chat');
    await Promise.all(Array.from({ length: callsEach }, (_, n) => chat.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: `call ${i}.${n}` }] }] })));
  }));
  return arrivals;
}

describe('limiters sharing one database', () => {
  let fake: FakeProviders;
  let dir: string;
  let database: TestDatabase;

  before(async () => {
    fake = await startFakeProviders();
    dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-limits-'));
    database = await createTestDatabase();
  });
  after(async () => {
    await fake?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('PostgreSQL: three limiters (three workers\' worth) never exceed 4 requests per second at the provider', async () => {
    const { schema, url } = await database.freshSchema();
    const settings = { dataDir: dir, databaseUrl: url, secretKey: '11'.repeat(32) };
    const limits = parseRateLimits('openai=4/1s');
    const limiters = await Promise.all([1, 2, 3].map(async () => (await openRateLimiter(settings, limits))!));
    try {
      assert.match(limiters[0].describe(), /^openai 4\/s \(shared through PostgreSQL postgres:\/\/.+\)$/);
      const arrivals = await hammer(limiters, fake, 6);
      assert.equal(arrivals.length, 18);
      assert.equal(maxInAnyWindow(arrivals, 1000), 4, 'at most 4 (and the load reached 4) in any second');
      const slots = await database.query<{ provider: string; slot: number; holder: string | null }>('SELECT provider, slot, holder FROM rate_limit_slots ORDER BY slot', [], schema);
      assert.deepEqual(slots.map((s) => [s.provider, s.slot, s.holder]), [0, 1, 2, 3].map((n) => ['openai', n, null]), 'four slots, all handed back');
    } finally {
      await Promise.all(limiters.map((l) => l.close()));
    }
  });

  test('SQLite: two limiters on one data folder never exceed 3 requests per 500 ms; unlimited providers are not touched', async () => {
    const settings = { dataDir: path.join(dir, 'sqlite'), secretKey: '22'.repeat(32) };
    const limiters = await Promise.all([1, 2].map(async () => (await openRateLimiter(settings, parseRateLimits('openai=3/500ms')))!));
    try {
      assert.match(limiters[0].describe(), /^openai 3\/500ms \(shared through SQLite .+tessera\.db\)$/);
      const arrivals = await hammer(limiters, fake, 6);
      assert.equal(arrivals.length, 12);
      assert.equal(maxInAnyWindow(arrivals, 500), 3);
      const chat = { chat: async () => ({ text: 'x', usage: { provider: 'anthropic', model: 'm' } }) };
      const providers: Providers = { names: () => ['anthropic'], offers: () => true, require: () => chat as never };
      assert.equal(rateLimitProviders(providers, limiters[0], {}).require('anthropic', 'chat'), chat, 'a provider without a limit is handed out as it is');
    } finally {
      await Promise.all(limiters.map((l) => l.close()));
    }
  });

  test('no limits: nothing is opened', async () => {
    assert.equal(await openRateLimiter({ dataDir: path.join(dir, 'none') }, []), undefined);
  });

  test('a waiting call heartbeats, and cancelling it ends the wait at once without making the call', async () => {
    const table = await openSlotTable({ dataDir: path.join(dir, 'cancel'), secretKey: '33'.repeat(32) });
    const limiter = new RateLimiter(table, parseRateLimits('openai=1/h'));
    try {
      await limiter.run('openai', async () => undefined); // the one slot of the hour is used
      const controller = new AbortController();
      let heartbeats = 0;
      let called = false;
      const waiting = limiter.run('openai', async () => (called = true), { signal: controller.signal, heartbeat: () => heartbeats++ });
      const queued = limiter.run('openai', async () => (called = true), { signal: controller.signal });
      while (heartbeats === 0) await new Promise((r) => setTimeout(r, 10));
      controller.abort(new Error('cancelled by the test'));
      await assert.rejects(waiting, /cancelled by the test|aborted/);
      await assert.rejects(queued, /cancelled by the test/, 'a caller queued behind it in the process leaves too');
      assert.equal(called, false);
    } finally {
      await limiter.close();
    }
  });

  test('a slot table that cannot be reached fails the call retryably (RATE_LIMIT_UNAVAILABLE), sending nothing', async () => {
    const table = await openSlotTable({ dataDir: path.join(dir, 'closed'), secretKey: '44'.repeat(32) });
    const limiter = new RateLimiter(table, parseRateLimits('openai=5/s'));
    await limiter.close();
    let called = false;
    await assert.rejects(limiter.run('openai', async () => (called = true)), (err: unknown) => {
      const e = err as { code?: string; options?: { retryable?: boolean } };
      return e.code === 'RATE_LIMIT_UNAVAILABLE' && e.options?.retryable === true;
    });
    assert.equal(called, false);
  });
});
