/**
 * Runs ffmpeg and ffprobe as child processes, without a shell (file names are arguments, never parsed),
 * line by line so that long outputs are never held in memory, and killed when the signal aborts.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { scrubMessage } from '../files/scrub.ts';
import { mediaError } from './errors.ts';
import { findMediaTools } from './find-tools.ts';

export interface MediaTools {
  ffmpeg: string;
  ffprobe: string;
}

let cached: { key: string; tools: MediaTools } | undefined;

/**
 * FFMPEG_PATH / FFPROBE_PATH (the names fluent-ffmpeg made common) when set, else the binaries on PATH,
 * else the ones shipped in npm packages (find-tools.ts). Looked up again when those variables change.
 * A tool found nowhere keeps its bare name, so running it fails with MEDIA_TOOL_MISSING.
 */
export function defaultTools(): MediaTools {
  const { FFMPEG_PATH, FFPROBE_PATH, PATH } = process.env;
  const key = JSON.stringify([FFMPEG_PATH, FFPROBE_PATH, PATH]);
  if (cached?.key !== key) {
    const found = findMediaTools();
    const tools = { ffmpeg: found.ffmpeg.found?.path || FFMPEG_PATH || 'ffmpeg', ffprobe: found.ffprobe.found?.path || FFPROBE_PATH || 'ffprobe' };
    cached = { key, tools };
  }
  return cached.tools;
}

export interface RunOptions {
  signal?: AbortSignal;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
}

export interface RunResult {
  code: number | null;
  /** The last lines of stderr, for error messages: without the folders of the files given and without memory addresses. */
  stderrTail: string;
}

const TAIL_LINES = 20;

export function runTool(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    options.signal?.throwIfAborted();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal, windowsHide: true });
    const tail: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => options.onStdoutLine?.(line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      options.onStderrLine?.(line);
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(
          mediaError(
            'MEDIA_TOOL_MISSING',
            `"${command}" was not found. Install FFmpeg (Debian/Ubuntu: apt-get install ffmpeg), run npm install (it brings a bundled one), or set FFMPEG_PATH and FFPROBE_PATH.`,
            { command },
          ),
        );
      } else reject(err);
    });
    // 'close' (not 'exit') waits for stdout and stderr to be fully read.
    child.on('close', (code) => resolve({ code, stderrTail: scrubMessage(tail.join('\n'), [os.tmpdir(), ...fileFolders(args)]) }));
  });
}

/** The folders of the absolute paths among a tool's arguments (its input and output files). */
function fileFolders(args: string[]): string[] {
  return args.filter((a) => path.isAbsolute(a)).map((a) => path.dirname(a));
}
