/** Schedule specs are checked before Temporal sees them (cron fields, intervals, time zones); Temporal's own refusals map to coded errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScheduleNotFoundError, ServiceError } from '@temporalio/client';
import { checkSpec, cronProblem, intervalSeconds, toTemporalSpec } from '../../engine/api/schedules/spec.ts';
import { scheduleWriteError } from '../../engine/api/schedules/temporal.ts';
import { TesseraError } from '../../engine/errors.ts';

test('valid cron expressions and shorthands pass', () => {
  for (const cron of ['* * * * *', '*/5 * * * *', '0 9 * * MON-FRI', '30 2 1,15 JAN,jul 0', '0 0 * * 7', '0-30/10 8-18 * * *', '@daily', '@hourly']) {
    assert.equal(cronProblem(cron), undefined, cron);
  }
});

test('invalid cron expressions say which field is wrong', () => {
  assert.match(cronProblem('61 * * * *')!, /^minute "61"/);
  assert.match(cronProblem('* 24 * * *')!, /^hour/);
  assert.match(cronProblem('* * 0 * *')!, /^day of month/);
  assert.match(cronProblem('* * * FOO *')!, /^month/);
  assert.match(cronProblem('* * * * 8')!, /^day of week/);
  assert.match(cronProblem('*/0 * * * *')!, /step/);
  assert.match(cronProblem('30-10 * * * *')!, /backwards/);
  assert.match(cronProblem('* * *')!, /expected 5 fields/);
  assert.match(cronProblem('@sometimes')!, /unknown shorthand/);
});

test('intervals: units or plain seconds, at least one second', () => {
  assert.equal(intervalSeconds('30s'), 30);
  assert.equal(intervalSeconds('5m'), 300);
  assert.equal(intervalSeconds('1h'), 3600);
  assert.equal(intervalSeconds('2d'), 172800);
  assert.equal(intervalSeconds('90'), 90);
  assert.equal(intervalSeconds(45), 45);
  for (const bad of ['0s', 'soon', '1.5h', '-5', 0, 1.5, '5w']) assert.equal(intervalSeconds(bad), undefined, String(bad));
});

test('checkSpec names the field and converts to Temporal form', () => {
  const spec = checkSpec({ cron: '0 9 * * MON-FRI', interval: 90, timezone: 'Europe/Lisbon' });
  assert.deepEqual(spec, { cron: ['0 9 * * MON-FRI'], intervals: ['90s'], timezone: 'Europe/Lisbon' });
  assert.deepEqual(toTemporalSpec(spec), { cronExpressions: ['0 9 * * MON-FRI'], intervals: [{ every: 90_000 }], timezone: 'Europe/Lisbon' });

  const field = (request: Parameters<typeof checkSpec>[0]) => {
    try {
      checkSpec(request);
    } catch (err) {
      assert.ok(err instanceof TesseraError);
      assert.equal(err.code, 'SCHEDULE_INVALID');
      return (err.details as { field: string }).field;
    }
    assert.fail('expected SCHEDULE_INVALID');
  };
  assert.equal(field({ cron: ['0 * * * *', 'nope'] }), 'cron[1]');
  assert.equal(field({ interval: 'often' }), 'interval');
  assert.equal(field({ interval: '1h', timezone: 'Nowhere/Special' }), 'timezone');
  assert.equal(field({}), 'cron');
});

test("Temporal's refusals are SCHEDULE_INVALID, never a 500; only an unreachable server is 503", () => {
  const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
  assert.equal(scheduleWriteError(new TypeError('Minute is not in range [0-59]'), 'sch_x').code, 'SCHEDULE_INVALID');
  assert.equal(scheduleWriteError(new ServiceError('Failed to create schedule', { cause: grpc(3, 'bad spec') }), 'sch_x').code, 'SCHEDULE_INVALID');
  assert.equal(scheduleWriteError(new ServiceError('Failed to create schedule', { cause: grpc(14, 'connection refused') }), 'sch_x').code, 'TEMPORAL_UNREACHABLE');
  assert.equal(scheduleWriteError(new ScheduleNotFoundError('gone', 'sch_x'), 'sch_x').code, 'SCHEDULE_NOT_FOUND');
  assert.match(scheduleWriteError(new ServiceError('Failed to create schedule', { cause: grpc(3, 'bad spec') }), 'sch_x').message, /bad spec/);
});
