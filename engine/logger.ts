import { pino } from 'pino';

export type Logger = pino.Logger;

/** Structured logs go to stderr so that stdout stays clean for results (`--json`). */
export function createLogger(level = process.env.TESSERA_LOG_LEVEL ?? 'warn'): Logger {
  return pino({ level, redact: { paths: ['*.apiKey', '*.authorization', 'apiKey', 'headers.authorization'], censor: '[redacted]' } }, pino.destination(2));
}
