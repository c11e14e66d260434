/**
 * Loopback addresses and Host values, in a module of their own (no fastify, no API code): the CLI decides
 * whether API keys may be off before it loads the HTTP server, and a worker-only process never loads it.
 */

/** A bind address on the loopback interface: the one rule for "auth may be off here" (127.x.x.x, localhost, ::1). */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || isLoopbackHost(address);
}

/** A Host header value: `127.x.x.x`, `localhost` and `[::1]`, each with an optional port. */
export function isLoopbackHost(host: string): boolean {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase());
  if (!match) return false;
  const name = match[1];
  return name === 'localhost' || name === '[::1]' || /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(name);
}
