/**
 * Words and times for schedules, with no DOM or API in it: a cron expression or an interval as a
 * sentence ("At 07:00, Monday through Friday, Europe/Lisbon"), the checks the API makes before it asks
 * Temporal (so the form can say what is wrong while you type), and times shown in a schedule's zone.
 */
import { intervalSeconds, isTimezone } from '../../../engine/api/schedules/interval.ts';
import cronstrue from 'cronstrue';

/** Temporal's cron shorthands, as the 5-field expressions they stand for (the API accepts these five). */
const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export type Described = { ok: true; text: string } | { ok: false; problem: string };

/** A 5-field cron expression (or @daily, ...) as a sentence, or why it is not one. */
export function describeCron(expression: string): Described {
  const text = expression.trim();
  if (!text) return { ok: false, problem: 'Give a cron expression, e.g. "0 7 * * 1-5".' };
  let cron = text;
  if (text.startsWith('@')) {
    const expanded = SHORTHANDS[text.toLowerCase()];
    if (!expanded) return { ok: false, problem: `Unknown shorthand "${text}" (use ${Object.keys(SHORTHANDS).join(', ')}).` };
    cron = expanded;
  } else {
    const fields = text.split(/\s+/).length;
    if (fields !== 5) return { ok: false, problem: `Expected 5 fields (minute hour day-of-month month day-of-week), got ${fields}.` };
  }
  try {
    return { ok: true, text: cronstrue.toString(cron, { use24HourTimeFormat: true, throwExceptionOnParseError: true, verbose: false }) };
  } catch (err) {
    return { ok: false, problem: String((err as Error)?.message ?? err).replace(/^Error:\s*/, '') };
  }
}

/** Interval units and their names, for sentences (intervalSeconds is the API's own rule). */
const UNITS: Record<string, [number, string]> = { s: [1, 'second'], m: [60, 'minute'], h: [3600, 'hour'], d: [86400, 'day'] };

export { intervalSeconds, isTimezone };

/** An interval as a sentence: "Every 15 minutes", "Every 90 seconds", or why it is not one. */
export function describeInterval(interval: string | number): Described {
  const seconds = intervalSeconds(interval);
  if (seconds === undefined) return { ok: false, problem: 'Give an interval such as "30s", "5m", "2h", "1d" or a number of seconds (at least 1).' };
  for (const unit of ['d', 'h', 'm', 's']) {
    const [size, name] = UNITS[unit];
    if (seconds % size === 0) {
      const n = seconds / size;
      return { ok: true, text: n === 1 ? `Every ${name}` : `Every ${n} ${name}s` };
    }
  }
  return { ok: true, text: `Every ${seconds} seconds` }; // unreachable: every whole number of seconds divides by 1
}

/** A stored schedule spec as one line: each cron expression and interval described, then the time zone. */
export function describeSpec(spec: { cron?: string[]; intervals?: string[]; timezone?: string }): string {
  const parts = [
    ...(spec.cron ?? []).map((c) => {
      const d = describeCron(c);
      return d.ok ? d.text : c;
    }),
    ...(spec.intervals ?? []).map((i) => {
      const d = describeInterval(i);
      return d.ok ? d.text : i;
    }),
  ];
  const when = parts.join('; ') || 'No times';
  // Intervals count from the epoch, whatever the zone: only cron expressions are read in one.
  return spec.cron?.length ? `${when}, ${spec.timezone || 'UTC'}` : when;
}

/** The cron or interval as typed, for a schedule's line: "0 7 * * 1-5" or "every 30s". */
export function specSource(spec: { cron?: string[]; intervals?: string[] }): string {
  return [...(spec.cron ?? []), ...(spec.intervals ?? []).map((i) => `every ${i}`)].join('; ');
}


/** A time in a zone (the schedule's, else the browser's): "Mon 12 Jan, 07:00:05". */
export function formatTime(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat('en-GB', {
    weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    ...(timeZone && isTimezone(timeZone) ? { timeZone } : {}),
  }).format(date);
}

/** How far a time is from now: "in 5 s", "in 3 min", "2 h ago", "just now". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const ms = new Date(iso).getTime() - now;
  if (Number.isNaN(ms)) return '';
  const abs = Math.abs(ms);
  if (abs < 1000) return ms > 0 ? 'now' : 'just now';
  const [n, unit] = abs < 60_000 ? [Math.round(abs / 1000), 's'] : abs < 3_600_000 ? [Math.round(abs / 60_000), 'min'] : abs < 86_400_000 ? [Math.round(abs / 3_600_000), 'h'] : [Math.round(abs / 86_400_000), 'd'];
  return ms > 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}
