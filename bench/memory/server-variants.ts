/**
 * The embedded server as Tessera starts it (engine/temporal/dev-server.ts startDevServer, unchanged), through a
 * wrapper script given as the `temporal` binary that adds a known metrics port and, for a variant, flags or
 * environment of its own: how a bound on the server's memory is tried without changing the engine.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSettings } from '../../engine/config.ts';
import { resolveTemporalBinary } from '../../engine/temporal/binary.ts';

export interface ServerVariant {
  id: string;
  /** What the variant changes, for the report. */
  change: string;
  flags: string[];
  env: Record<string, string>;
}

const dynamic = (...pairs: string[]) => pairs.flatMap((pair) => ['--dynamic-config-value', pair]);

/** `BENCH_MEMORY_VARIANTS=as-is,cache-512` picks them; `as-is` is the server exactly as Tessera runs it. */
export const SERVER_VARIANTS: ServerVariant[] = [
  { id: 'as-is', change: 'none: the embedded server as Tessera starts it', flags: [], env: {} },
  { id: 'cache-512', change: '`history.cacheMaxSize=512` (mutable-state cache entries; the dev server uses 8096)', flags: dynamic('history.cacheMaxSize=512'), env: {} },
  { id: 'cache-ttl-1m', change: '`history.cacheTTL="1m"` (closed runs leave the mutable-state cache after a minute; default 1 h)', flags: dynamic('history.cacheTTL="1m"'), env: {} },
  { id: 'gomemlimit-160', change: '`GOMEMLIMIT=160MiB` (the Go runtime collects harder near it; a soft limit)', flags: [], env: { GOMEMLIMIT: '160MiB' } },
];

/** Writes the wrapper into `dir`: `exec temporal "$@" --metrics-port <port> <variant flags>` with the variant's environment. */
export function serverWrapper(dir: string, variant: ServerVariant, metricsPort: number): string {
  const binary = resolveTemporalBinary(loadSettings().temporal.cliPath);
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const file = path.join(dir, `temporal-${variant.id}.sh`);
  const exports = Object.entries(variant.env).map(([k, v]) => `export ${k}=${quote(v)}\n`).join('');
  writeFileSync(file, `#!/bin/sh\n${exports}exec ${quote(binary)} "$@" --metrics-port ${metricsPort} ${variant.flags.map(quote).join(' ')}\n`);
  chmodSync(file, 0o755);
  return file;
}
