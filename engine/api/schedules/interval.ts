/**
 * The schedule rules the API checks and the editor shows as the user types: one definition for both, with
 * nothing in it a browser bundle cannot take (no Node modules, no server code).
 */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "30s", "5m", "1h", "2d", or a number of seconds (as a number or digits) -> seconds; undefined when malformed. */
export function intervalSeconds(interval: string | number): number | undefined {
  if (typeof interval === 'number') return Number.isInteger(interval) && interval >= 1 ? interval : undefined;
  const match = /^\s*(\d+)\s*([smhd]?)\s*$/i.exec(interval);
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[(match[2] || 's').toLowerCase()];
  return seconds >= 1 ? seconds : undefined;
}

/** True when the runtime knows the IANA zone (Temporal's own zone database is checked on create). */
export function isTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
