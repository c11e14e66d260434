/**
 * Schedule specifications: what the API accepts (cron strings, an interval, a timezone) checked here
 * first, so a mistake is answered with SCHEDULE_INVALID naming the field instead of whatever Temporal
 * says about its compiled form. Temporal still validates on create/update; that is the backstop.
 */
import type { ScheduleSpec as TemporalScheduleSpec } from '@temporalio/client';
import type { ScheduleSpec } from '../../store/types.ts';
import { apiError } from '../errors.ts';
import { intervalSeconds, isTimezone } from './interval.ts';

export { intervalSeconds, isTimezone };

export interface SpecRequest {
  cron?: string | string[] | null;
  interval?: string | number | null;
  timezone?: string | null;
}

/** Temporal's cron shorthands (5 of them; `@every` is what `interval` is for). */
const SHORTHANDS = new Set(['@yearly', '@monthly', '@weekly', '@daily', '@hourly']);
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  name: string;
  min: number;
  max: number;
  /** Names accepted for values, index + `min` being the value. */
  names?: string[];
}

const FIELDS: CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS }, // 7 is Sunday too, as in most crons
];

/** Why a cron expression is invalid, or undefined when it is a valid 5-field expression or shorthand. */
export function cronProblem(expression: string): string | undefined {
  const text = expression.trim();
  if (text.startsWith('@')) return SHORTHANDS.has(text.toLowerCase()) ? undefined : `unknown shorthand "${text}" (use ${[...SHORTHANDS].join(', ')})`;
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`;
  for (const [i, part] of parts.entries()) {
    const problem = fieldProblem(part, FIELDS[i]);
    if (problem) return `${FIELDS[i].name} "${part}": ${problem}`;
  }
  return undefined;
}

function fieldProblem(part: string, field: CronField): string | undefined {
  for (const item of part.split(',')) {
    const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
    if (!match) return `"${item}" is not a value, range or step`;
    if (match[2] !== undefined && Number(match[2]) < 1) return 'a step must be at least 1';
    if (match[1] === '*') continue;
    const [from, to] = match[1].split('-').map((v) => valueOf(v, field));
    if (from === undefined || (match[1].includes('-') && to === undefined)) return `values must be ${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : ''}`;
    if (to !== undefined && to < from) return `range ${match[1]} runs backwards`;
  }
  return undefined;
}

function valueOf(token: string, field: CronField): number | undefined {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    return n >= field.min && n <= field.max ? n : undefined;
  }
  const index = field.names?.indexOf(token.toUpperCase()) ?? -1;
  return index >= 0 ? index + field.min : undefined;
}


/** Checks a requested spec and turns it into the stored form; throws SCHEDULE_INVALID naming the field. */
export function checkSpec(request: SpecRequest): ScheduleSpec {
  const cron = request.cron == null ? [] : Array.isArray(request.cron) ? request.cron : [request.cron];
  for (const [i, expression] of cron.entries()) {
    const problem = cronProblem(expression);
    const field = Array.isArray(request.cron) ? `cron[${i}]` : 'cron';
    if (problem) throw apiError('SCHEDULE_INVALID', `${field}: invalid cron expression "${expression}": ${problem}.`, { field, value: expression });
  }
  const intervals: string[] = [];
  if (request.interval != null) {
    const seconds = intervalSeconds(request.interval);
    if (seconds === undefined) {
      throw apiError('SCHEDULE_INVALID', `interval: "${request.interval}" is not an interval such as "30s", "5m", "1h" or a number of seconds (at least 1).`, {
        field: 'interval',
        value: request.interval,
      });
    }
    intervals.push(typeof request.interval === 'number' || /^\s*\d+\s*$/.test(request.interval) ? `${seconds}s` : request.interval.trim().toLowerCase());
  }
  if (cron.length === 0 && intervals.length === 0) {
    throw apiError('SCHEDULE_INVALID', 'A schedule needs "cron" or "interval".', { field: 'cron' });
  }
  if (request.timezone != null && !isTimezone(request.timezone)) {
    throw apiError('SCHEDULE_INVALID', `timezone: "${request.timezone}" is not an IANA time zone (for example "Europe/Lisbon" or "UTC").`, {
      field: 'timezone',
      value: request.timezone,
    });
  }
  return {
    ...(cron.length ? { cron: cron.map((c) => c.trim()) } : {}),
    ...(intervals.length ? { intervals } : {}),
    ...(request.timezone != null ? { timezone: request.timezone } : {}),
  };
}

/** The stored spec as Temporal's ScheduleSpec. */
export function toTemporalSpec(spec: ScheduleSpec): TemporalScheduleSpec {
  return {
    ...(spec.cron?.length ? { cronExpressions: spec.cron } : {}),
    ...(spec.intervals?.length ? { intervals: spec.intervals.map((i) => ({ every: intervalSeconds(i)! * 1000 })) } : {}),
    ...(spec.timezone ? { timezone: spec.timezone } : {}),
  };
}

/** The stored spec back as request fields (what PATCH merges into). */
export function toSpecRequest(spec: ScheduleSpec): SpecRequest {
  return { cron: spec.cron ?? null, interval: spec.intervals?.[0] ?? null, timezone: spec.timezone ?? null };
}
