/**
 * Schedules against the real server and Temporal dev server: an interval schedule fires and its runs are
 * indexed with trigger schedule; pause stops it, resume restarts it, trigger runs it now, delete removes it
 * from Temporal and the store. Invalid specs and inputs are refused with nothing saved anywhere.
 * Waits are bounded polls; nothing asserts how fast Temporal fires.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import type { RunRecord } from '../../engine/store/types.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { greetingPipeline } from '../support/fixtures.ts';

const greeting = greetingPipeline('scheduled-greeting');

let env: ApiEnv;
let pipelineId: string;
/** Schedules the tests deleted: Temporal's list may still show them for a while. */
const deletedIds: string[] = [];

before(async () => {
  env = await startApiEnv();
  pipelineId = (await env.deps.store.createPipeline(greeting)).pipeline.id;
});
after(async () => env?.close());

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** The schedule's runs, whole (a list has summaries only). */
async function runsOf(scheduleId: string): Promise<RunRecord[]> {
  const { items } = await env.deps.store.listRuns({ trigger: 'schedule', limit: 200 });
  const runs = await Promise.all(items.filter((r) => r.trigger.id === scheduleId).map((r) => env.deps.store.getRun(r.id)));
  return runs.filter((r): r is RunRecord => r !== undefined);
}

const describe = (id: string) => env.deps.client.schedule.getHandle(id).describe();

/** Waits until every action Temporal took is in the run index; returns how many there are. */
async function settled(id: string): Promise<number> {
  return until(`the runs of ${id} to be indexed`, async () => {
    const taken = (await describe(id)).info.numActionsTaken;
    const indexed = (await runsOf(id)).length;
    return indexed === taken && { n: indexed };
  }).then((r) => r.n);
}

async function create(body: Record<string, unknown>) {
  return env.request('POST', `/api/v1/pipelines/${pipelineId}/schedules`, { body });
}

test('an interval schedule fires, its runs are indexed, and pause, resume, trigger and delete work', async () => {
  const created = await create({ interval: '1s', inputs: { who: 'Sched' }, note: 'every second' });
  assert.equal(created.status, 201, created.text);
  const { id } = created.json.schedule;
  assert.match(id, /^sch_/);
  assert.deepEqual(created.json.schedule.spec, { intervals: ['1s'] });
  assert.equal(created.json.schedule.overlap, 'skip');

  // Fires at least twice; the runs appear with their trigger and the tracker completes them.
  const runs = await until('two scheduled runs', async () => {
    const found = await runsOf(id);
    return found.length >= 2 && found;
  });
  assert.ok(runs.every((r) => r.pipelineId === pipelineId && r.pipelineName === 'scheduled-greeting' && r.id.startsWith(`${id}-`)));
  assert.deepEqual(runs[0].inputs, { who: 'Sched' });
  const done = await until('a scheduled run to finish', async () => (await runsOf(id)).find((r) => r.status === 'succeeded'));
  assert.deepEqual(done.outputs, { message: 'Hello, Sched!' });

  const shown = await env.request('GET', `/api/v1/schedules/${id}`);
  assert.equal(shown.status, 200, shown.text);
  assert.equal(shown.json.temporal.paused, false);
  assert.ok(shown.json.temporal.recentRuns.length >= 2);
  assert.ok(shown.json.temporal.nextActionTimes.length > 0);

  // Pause: once the in-flight actions are indexed, nothing new starts.
  const paused = await env.request('POST', `/api/v1/schedules/${id}/pause`);
  assert.equal(paused.json.schedule.paused, true);
  assert.equal((await describe(id)).state.paused, true);
  const before = await settled(id);
  await sleep(4000);
  assert.equal((await describe(id)).info.numActionsTaken, before, 'no action while paused');
  assert.equal((await runsOf(id)).length, before, 'no run indexed while paused');

  const resumed = await env.request('POST', `/api/v1/schedules/${id}/resume`);
  assert.equal(resumed.json.schedule.paused, false);
  await until('a run after resume', async () => (await runsOf(id)).length > before);

  // Trigger while paused: exactly one run, now.
  await env.request('POST', `/api/v1/schedules/${id}/pause`);
  const beforeTrigger = await settled(id);
  // Temporal names a scheduled run <schedule id>-<time to the second>: a trigger in the same second as the
  // last firing would get that run's id and be dropped as already started. Let that second pass.
  await sleep(1100);
  const triggered = await env.request('POST', `/api/v1/schedules/${id}/trigger`);
  assert.equal(triggered.status, 202, triggered.text);
  await until('the triggered run', async () => (await runsOf(id)).length === beforeTrigger + 1);
  assert.equal(await settled(id), beforeTrigger + 1);

  const deleted = await env.request('DELETE', `/api/v1/schedules/${id}`);
  assert.equal(deleted.status, 204, deleted.text);
  deletedIds.push(id);
  await assert.rejects(describe(id), ScheduleNotFoundError);
  const gone = await env.request('GET', `/api/v1/schedules/${id}`);
  assert.equal(gone.status, 404);
  assert.equal(gone.json.error.code, 'SCHEDULE_NOT_FOUND');
  assert.equal(await env.deps.store.getSchedule(id), undefined);
  assert.ok((await runsOf(id)).length >= beforeTrigger + 1, 'past runs stay in the index');
});

test('invalid specs and inputs are refused and nothing is saved in Temporal or the store', async () => {
  const cases: [Record<string, unknown>, number, string, string?][] = [
    [{ cron: '61 * * * *', inputs: { who: 'x' } }, 400, 'SCHEDULE_INVALID', 'cron'],
    [{ cron: ['0 * * * *', 'every day'], inputs: { who: 'x' } }, 400, 'SCHEDULE_INVALID', 'cron[1]'],
    [{ interval: 'soon', inputs: { who: 'x' } }, 400, 'SCHEDULE_INVALID', 'interval'],
    [{ cron: '0 9 * * MON-FRI', timezone: 'Mars/Olympus_Mons', inputs: { who: 'x' } }, 400, 'SCHEDULE_INVALID', 'timezone'],
    [{ inputs: { who: 'x' } }, 400, 'SCHEDULE_INVALID'],
    [{ interval: '1h', inputs: { who: 5 } }, 400, 'RUN_INPUT_INVALID'],
    [{ interval: '1h', inputs: {} }, 400, 'RUN_INPUT_MISSING'],
    [{ interval: '1h', inputs: { who: 'x', extra: 1 } }, 400, 'RUN_INPUT_UNKNOWN'],
    [{ interval: '1h', inputs: { who: 'x' }, overlap: 'sometimes' }, 400, 'REQUEST_INVALID'],
    [{ interval: '1h', inputs: { who: 'x' }, version: 9 }, 404, 'VERSION_NOT_FOUND'],
  ];
  for (const [body, status, code, field] of cases) {
    const response = await create(body);
    assert.equal(response.status, status, `${JSON.stringify(body)}: ${response.text}`);
    assert.equal(response.json.error.code, code, JSON.stringify(body));
    if (field) assert.equal(response.json.error.details.field, field, response.text);
  }
  const unknown = await env.request('POST', '/api/v1/pipelines/pl_nope/schedules', { body: { interval: '1h' } });
  assert.equal(unknown.json.error.code, 'PIPELINE_NOT_FOUND');

  // Listing is eventually consistent: create a control schedule and wait for it to be listed; anything the
  // refused requests had created before it would be listed by then too. (Schedules carry their pipeline
  // id in their memo, which keeps other tests' schedules out of the comparison.)
  const control = await create({ cron: '0 0 1 1 *', inputs: { who: 'control' }, paused: true });
  assert.equal(control.status, 201, control.text);
  const controlId: string = control.json.schedule.id;
  const listed = await until('the control schedule in the Temporal list', async () => {
    const ids: string[] = [];
    for await (const s of env.deps.client.schedule.list()) if (s.memo?.pipelineId === pipelineId) ids.push(s.scheduleId);
    return ids.includes(controlId) && ids;
  });
  const known = new Set([...(await env.deps.store.listSchedules(pipelineId)).map((s) => s.id), ...deletedIds]);
  assert.deepEqual(listed.filter((id) => !known.has(id)), [], 'no Temporal schedule without a record');
  const mine = await env.request('GET', `/api/v1/schedules?pipelineId=${pipelineId}`);
  assert.ok(mine.json.items.some((s: { id: string }) => s.id === controlId));
  const ofPipeline = await env.request('GET', `/api/v1/pipelines/${pipelineId}/schedules`);
  assert.deepEqual(ofPipeline.json.items, mine.json.items);
  await env.request('DELETE', `/api/v1/schedules/${controlId}`);
  deletedIds.push(controlId);
});

test('PATCH re-validates, recompiles and updates the Temporal schedule', async () => {
  const created = await create({ cron: '0 0 1 1 *', inputs: { who: 'before' }, paused: true });
  const { id } = created.json.schedule;

  const patched = await env.request('PATCH', `/api/v1/schedules/${id}`, { body: { cron: null, interval: '1h', inputs: { who: 'after' }, overlap: 'buffer_one' } });
  assert.equal(patched.status, 200, patched.text);
  assert.deepEqual(patched.json.schedule.spec, { intervals: ['1h'] });
  const description = await describe(id);
  assert.equal(description.spec.intervals?.[0].every, 3_600_000);
  assert.equal(description.spec.calendars?.length ?? 0, 0);
  assert.equal(description.policies.overlap, 'BUFFER_ONE');
  assert.deepEqual((description.action.args?.[0] as { inputs: unknown }).inputs, { who: 'after' });
  assert.equal(description.state.paused, true, 'an update keeps the paused state');

  const bad = await env.request('PATCH', `/api/v1/schedules/${id}`, { body: { cron: '* * *' } });
  assert.equal(bad.json.error.code, 'SCHEDULE_INVALID');
  const badInputs = await env.request('PATCH', `/api/v1/schedules/${id}`, { body: { inputs: { nobody: 1 } } });
  assert.equal(badInputs.status, 400);
  assert.deepEqual((await env.deps.store.getSchedule(id))?.inputs, { who: 'after' }, 'a refused PATCH changes nothing');

  const missing = await env.request('PATCH', '/api/v1/schedules/sch_nope', { body: { interval: '1h' } });
  assert.equal(missing.json.error.code, 'SCHEDULE_NOT_FOUND');
  for (const action of ['pause', 'resume', 'trigger']) {
    assert.equal((await env.request('POST', `/api/v1/schedules/sch_nope/${action}`)).json.error.code, 'SCHEDULE_NOT_FOUND');
  }
  assert.equal((await env.request('DELETE', '/api/v1/schedules/sch_nope')).json.error.code, 'SCHEDULE_NOT_FOUND');
  await env.request('DELETE', `/api/v1/schedules/${id}`);
  deletedIds.push(id);
});

test('when the store cannot save the schedule, the Temporal schedule is deleted again', async () => {
  const store = env.deps.store;
  const save = store.saveSchedule;
  let attempted: string | undefined;
  store.saveSchedule = async (record) => {
    attempted = record.id;
    throw new Error('disk full');
  };
  try {
    const response = await create({ interval: '1h', inputs: { who: 'x' } });
    assert.equal(response.status, 500);
  } finally {
    store.saveSchedule = save;
  }
  assert.ok(attempted);
  deletedIds.push(attempted);
  await assert.rejects(describe(attempted), ScheduleNotFoundError);
});

test('deleting a pipeline deletes its Temporal schedules too', async () => {
  const other = (await env.deps.store.createPipeline({ ...greeting, name: 'doomed' })).pipeline.id;
  const created = await env.request('POST', `/api/v1/pipelines/${other}/schedules`, { body: { cron: '0 0 1 1 *', inputs: { who: 'x' }, paused: true } });
  assert.equal(created.status, 201, created.text);
  const id = created.json.schedule?.id ?? created.json.id;
  assert.ok((await describe(id)).state.paused);
  const deleted = await env.request('DELETE', `/api/v1/pipelines/${other}`);
  assert.equal(deleted.status, 204);
  deletedIds.push(id);
  await assert.rejects(describe(id), ScheduleNotFoundError);
  assert.equal((await env.request('GET', `/api/v1/schedules/${id}`)).status, 404);
});
