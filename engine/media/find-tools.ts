/**
 * Which ffmpeg and ffprobe Tessera runs, in this order:
 *   1. FFMPEG_PATH / FFPROBE_PATH when set (a path, or a command looked up on PATH); no fallback, so a
 *      wrong value is reported instead of silently replaced;
 *   2. the system's, found on PATH ("system": Debian's ffmpeg package, Homebrew's, ...);
 *   3. the static build shipped inside an npm package ("bundled": @ffmpeg-installer/ffmpeg and
 *      @ffprobe-installer/ffprobe, whose per-platform optional dependencies carry the binary itself in
 *      their tarball; nothing is downloaded at install or run time).
 * npm does not keep every bundled binary's executable bit (ffprobe's tarball has none, and the packages'
 * chmod postinstall scripts are denied in allowScripts), so a bundled binary is made executable at first
 * use: in place when the install is writable, otherwise as a copy in the user's cache folder.
 */
import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants, copyFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { reason } from './errors.ts';

export type ToolName = 'ffmpeg' | 'ffprobe';
export type ToolSource = 'env' | 'system' | 'bundled';

export interface FoundTool {
  name: ToolName;
  path: string;
  source: ToolSource;
}

/** One tool: where it is, or why there is none. */
export interface ToolLookup {
  name: ToolName;
  found?: FoundTool;
  problem?: string;
  /** True when FFMPEG_PATH / FFPROBE_PATH chose (or failed to choose) the binary. */
  overridden?: boolean;
}

export interface FindOptions {
  /** The environment to read FFMPEG_PATH, FFPROBE_PATH and PATH from (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where a bundled binary that cannot be made executable in place is copied (default: ~/.cache/tessera/bin). */
  cacheDir?: string;
  /** The bundled binary's path (default: the npm package's); tests point it elsewhere. */
  bundled?: (name: ToolName) => string;
}

export const OVERRIDE_VARIABLE: Record<ToolName, string> = { ffmpeg: 'FFMPEG_PATH', ffprobe: 'FFPROBE_PATH' };
const PACKAGE: Record<ToolName, string> = { ffmpeg: '@ffmpeg-installer/ffmpeg', ffprobe: '@ffprobe-installer/ffprobe' };

export function findMediaTools(options: FindOptions = {}): Record<ToolName, ToolLookup> {
  return { ffmpeg: findTool('ffmpeg', options), ffprobe: findTool('ffprobe', options) };
}

export function findTool(name: ToolName, options: FindOptions = {}): ToolLookup {
  const env = options.env ?? process.env;
  const variable = OVERRIDE_VARIABLE[name];
  const override = env[variable];
  if (override) {
    const file = findExecutable(override, env.PATH);
    return file
      ? { name, found: { name, path: file, source: 'env' }, overridden: true }
      : { name, problem: `${variable}=${override} is not an executable file`, overridden: true };
  }
  const system = findExecutable(name, env.PATH);
  if (system) return { name, found: { name, path: system, source: 'system' } };
  let shipped: string;
  try {
    shipped = (options.bundled ?? bundledPath)(name);
  } catch (err) {
    return { name, problem: `not on PATH, and no bundled ${name} for ${process.platform}-${process.arch} (${reason(err)})` };
  }
  const ready = ensureExecutable(shipped, { cacheDir: options.cacheDir ?? defaultCacheDir(env) });
  return ready.path ? { name, found: { name, path: ready.path, source: 'bundled' } } : { name, problem: `not on PATH, and ${ready.problem}` };
}

/** The binary inside the npm package for this platform (the packages throw when there is none). */
function bundledPath(name: ToolName): string {
  const require = createRequire(import.meta.url);
  return (require(PACKAGE[name]) as { path: string }).path;
}

function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'tessera', 'bin');
}

/** A command on PATH, or a path, that can be executed. */
export function findExecutable(command: string, searchPath: string | undefined): string | undefined {
  const candidates = command.includes('/') ? [command] : (searchPath ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, command));
  return candidates.find((file) => isExecutableFile(file));
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export interface EnsureOptions {
  cacheDir: string;
  /** false skips the chmod in place (tests of the copy; root may chmod any file). */
  inPlace?: boolean;
}

/** Makes `file` executable (chmod in place), or copies it into cacheDir as an executable; says why not otherwise. */
export function ensureExecutable(file: string, options: EnsureOptions): { path?: string; problem?: string } {
  if (isExecutableFile(file)) return { path: file };
  let stat;
  try {
    stat = statSync(file);
  } catch (err) {
    return { problem: `the bundled binary is missing (${reason(err)}); run npm install again` };
  }
  const attempts: string[] = [];
  if (options.inPlace !== false) {
    try {
      // Execute permission wherever there is read permission (0644 becomes 0755).
      chmodSync(file, stat.mode | ((stat.mode & 0o444) >> 2));
      if (isExecutableFile(file)) return { path: file };
      attempts.push('chmod had no effect');
    } catch (err) {
      attempts.push(`chmod: ${reason(err)}`);
    }
  }
  // A copy per source file and size, so a reinstall of another version gets a copy of its own.
  const copy = path.join(options.cacheDir, `${path.basename(file)}-${stat.size}`, path.basename(file));
  try {
    if (isExecutableFile(copy) && statSync(copy).size === stat.size) return { path: copy };
    mkdirSync(path.dirname(copy), { recursive: true });
    const partial = `${copy}.${process.pid}.partial`;
    copyFileSync(file, partial);
    chmodSync(partial, 0o755);
    renameSync(partial, copy);
    return { path: copy };
  } catch (err) {
    attempts.push(`copy to ${path.dirname(copy)}: ${reason(err)}`);
  }
  return { problem: `the bundled binary ${file} is not executable and could not be made so (${attempts.join('; ')}): run chmod +x on it` };
}

/** What the binary says of its version ("5.1.6-0+deb12u1", "N-47683-g0e8eb07980-static"), or undefined. */
export function toolVersion(file: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, ['-version'], { timeout: 15_000, windowsHide: true }, (err, stdout) => {
      if (err) return resolve(undefined);
      resolve(/^\S+ version (\S+)/.exec(stdout)?.[1]);
    });
  });
}

/**
 * Start-up lines of a worker: one line naming both binaries with their source and version, and a warning
 * for each that is missing or does not run (transcribe would fail).
 */
export async function mediaToolsLines(lookups: Record<ToolName, ToolLookup>): Promise<string[]> {
  const found: string[] = [];
  const warnings: string[] = [];
  for (const lookup of [lookups.ffmpeg, lookups.ffprobe]) {
    const tool = lookup.found;
    const version = tool && (await toolVersion(tool.path));
    if (tool && version) {
      const source = tool.source === 'env' ? OVERRIDE_VARIABLE[tool.name] : tool.source;
      found.push(`${tool.name} ${version} (${source}) at ${tool.path}`);
    } else {
      const variable = OVERRIDE_VARIABLE[lookup.name];
      const why = tool ? `${tool.path} does not run` : lookup.problem;
      const fix = lookup.overridden
        ? `fix or unset ${variable}`
        : `install FFmpeg (apt-get install ffmpeg), run npm install again (it brings a bundled one), or set ${variable}`;
      warnings.push(`WARNING: no usable ${lookup.name} (${why}), so transcribe will fail: ${fix}`);
    }
  }
  return [...(found.length ? [`media tools: ${found.join('; ')}`] : []), ...warnings];
}
