/**
 * What `tessera dev` / `serve` / `worker` print once they are up: where everything is (as URLs a terminal
 * makes clickable, never 0.0.0.0), which providers the worker has, which ffmpeg and ffprobe it runs (or
 * that they are missing: transcribe needs them), and a first command to try. The last line is "ready",
 * which scripts and tests wait for.
 */
import path from 'node:path';
import type { ApiServer } from '../api/server.ts';
import type { Providers } from '../providers/types.ts';
import type { TemporalHandle } from '../temporal/connect.ts';
import type { CliContext } from './context.ts';
import { FsBlobStore } from '../blob/fs-store.ts';
import { describeBlobStore } from '../blob/open-blob-store.ts';
import { PACKAGE_ROOT } from '../package-root.ts';

export interface BannerFacts {
  mode: 'worker' | 'serve' | 'dev';
  ctx: CliContext;
  temporal: TemporalHandle;
  authRequired: boolean;
  /** Set when a worker runs in this process; mediaTools are the lines of find-tools.ts's mediaToolsLines. */
  worker?: { taskQueue: string; providers?: Providers; mediaTools?: string[]; concurrency?: number; rateLimits?: string };
  api?: ApiServer;
  host: string;
}

export function startupBanner(f: BannerFacts): string {
  const lines = [`tessera ${f.mode}: data folder ${f.ctx.settings.dataDir}`];
  if (!(f.ctx.blobs instanceof FsBlobStore)) lines.push(`blobs: ${describeBlobStore(f.ctx.blobs)}`);
  const { temporal } = f;
  if (temporal.devServer) lines.push(`embedded Temporal server at ${temporal.address}`);
  else if (temporal.reused) lines.push(`reusing the Temporal server already running at ${temporal.address} (not started by this command; it keeps running after Ctrl-C)`);
  else lines.push(`Temporal at ${temporal.address}`);
  if (temporal.uiUrl) lines.push(`Temporal UI: ${temporal.uiUrl}${f.authRequired ? ' (WARNING: it needs no key and shows every run\'s inputs and outputs to anyone who reaches it)' : ''}`);
  else if (temporal.devServer && f.authRequired) lines.push('Temporal UI off because API keys are required (it has no access control); --ui serves it anyway');
  if (f.worker) {
    const names = f.worker.providers?.names() ?? [];
    lines.push(`worker on task queue "${f.worker.taskQueue}"; providers: ${names.join(', ') || 'none'} (keys come from this process's environment)`);
    if (f.worker.concurrency !== undefined) lines.push(`worker concurrency: ${f.worker.concurrency} activities at once`);
    if (f.worker.rateLimits) lines.push(`rate limits: ${f.worker.rateLimits}`);
    lines.push(...(f.worker.mediaTools ?? []));
  }
  if (f.worker || f.api) {
    const roots = f.ctx.files.roots;
    lines.push(roots.length ? `local files: API runs may read under ${roots.join(', ')} (not the data folder)` : 'local files: API runs may not read the worker\'s disk (no --file-root)');
  }
  if (f.api) {
    const url = browsable(f.api.url, f.host);
    const everywhere = url === f.api.url ? '' : ` (listening on ${f.host}: every interface)`;
    lines.push(`Editor: ${url}/${everywhere}`);
    lines.push(`API: ${url}/api/v1 (OpenAPI: ${url}/api/v1/openapi.json)`);
    lines.push(f.authRequired ? 'API keys required (create one: tessera keys create <name>)' : 'API keys NOT required: auth is off because the API is bound to 127.0.0.1 only');
  }
  if (f.mode === 'dev') lines.push(`try: ${firstCommand(process.cwd())}`);
  return `${lines.join('\n')}\nready\n`;
}

/**
 * The example run, as typed in `cwd`: `npx tessera` only where npx finds this package (the checkout, or a
 * project that has it in node_modules; elsewhere npx would fetch an unrelated package of that name), else
 * `tessera` (a global install or npm link); the example file relative to `cwd` when it is below it.
 */
export function firstCommand(cwd: string, root = PACKAGE_ROOT): string {
  const here = path.resolve(root) === path.resolve(cwd) || path.resolve(root) === path.resolve(cwd, 'node_modules', 'tessera');
  const example = path.join(root, 'examples', 'greeting.pipeline.json');
  const relative = path.relative(cwd, example);
  const file = relative.startsWith('..') || path.isAbsolute(relative) ? example : relative;
  return `${here ? 'npx tessera' : 'tessera'} run ${file} -i who=Ada`;
}

/** An address to open: a wildcard bind address is reachable at loopback, not at 0.0.0.0 or [::]. */
function browsable(url: string, host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return url;
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  return u.origin;
}
