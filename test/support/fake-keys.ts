import { randomBytes } from 'node:crypto';

/**
 * A made-up API key for the fake provider server: a vendor-like prefix plus random characters, made at
 * run time so that no key-shaped string is ever committed (and every test run uses a fresh one).
 */
export function fakeKey(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}
