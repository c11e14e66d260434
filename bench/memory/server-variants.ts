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
  {
    id: 'host-cache-512',
    change: '`history.hostLevelCacheMaxSize=512` (entries of the host-level mutable-state cache, which `temporal server start-dev` sets to 8096)',
    flags: dynamic('history.hostLevelCacheMaxSize=512'),
    env: {},
  },
  {
    id: 'host-cache-2048',
    change: '`history.hostLevelCacheMaxSize=2048`',
    flags: dynamic('history.hostLevelCacheMaxSize=2048'),
    env: {},
  },
  {
    id: 'cache-bytes-64m',
    change: '`history.cacheSizeBasedLimit=true`, `history.hostLevelCacheMaxSizeBytes=67108864` (the same cache bounded by its bytes, 64 MiB)',
    flags: dynamic('history.cacheSizeBasedLimit=true', 'history.hostLevelCacheMaxSizeBytes=67108864'),
    env: {},
  },
  { id: 'cache-ttl-1m', change: '`history.cacheTTL="1m"` (entries leave the mutable-state cache a minute after their last use; default 1 h)', flags: dynamic('history.cacheTTL="1m"'), env: {} },
  {
    id: 'host-cache-512-gomemlimit-200',
    change: 'both `history.hostLevelCacheMaxSize=512` and `GOMEMLIMIT=200MiB`',
    flags: dynamic('history.hostLevelCacheMaxSize=512'),
    env: { GOMEMLIMIT: '200MiB' },
  },
  { id: 'gomemlimit-200', change: '`GOMEMLIMIT=200MiB` in the server\'s environment (the Go runtime collects harder near it; a soft limit)', flags: [], env: { GOMEMLIMIT: '200MiB' } },
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
