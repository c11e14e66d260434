#!/usr/bin/env node
// Health check of a Tessera container (the Dockerfile's HEALTHCHECK and docker-compose.yml's). Exit 0 healthy,
// 1 not, with one line saying why.
//
//   healthcheck.mjs api      `tessera serve` / `tessera dev`: GET /api/v1/health on 127.0.0.1:$TESSERA_API_PORT
//                            (default 8080) answers 200 (engine/api/routes/health.ts; no key needed).
//   healthcheck.mjs worker   `tessera worker` has no port: its process is running (not stopped, not a zombie)
//                            and holds an established TCP connection to the Temporal frontend's port (the port
//                            of $TEMPORAL_ADDRESS, default 7233), over which it long-polls its task queue.
//   healthcheck.mjs          either, chosen by the tessera command found running in the container.
//
// Plain Node (no dependencies): it runs in the image as the same user as the tessera process, which may read
// that process's /proc entries.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const TIMEOUT_MS = 4_000;

/** The running tessera processes: pid and subcommand (`serve`, `dev`, `worker`, ...), from /proc. */
export function tesseraProcesses(proc = '/proc') {
  const found = [];
  for (const entry of readdirSync(proc)) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let argv;
    try {
      argv = readFileSync(path.join(proc, entry, 'cmdline'), 'utf8').split('\0').filter(Boolean);
    } catch {
      continue; // gone meanwhile
    }
    // `node /usr/local/bin/tessera worker` (the shebang runs node), or `node /app/bin/tessera.js worker`.
    if (!argv[0] || path.basename(argv[0]) !== 'node') continue;
    const script = argv.findIndex((a, i) => i > 0 && /(^|\/)tessera(\.js)?$/.test(a));
    if (script < 0) continue;
    const command = argv.slice(script + 1).find((a) => !a.startsWith('-'));
    found.push({ pid: Number(entry), command });
  }
  return found;
}

/** The process state letter of /proc/<pid>/stat (R, S, D, T, Z, ...). */
export function processState(pid, proc = '/proc') {
  const stat = readFileSync(path.join(proc, String(pid), 'stat'), 'utf8');
  // "pid (comm) S ...": comm may hold spaces and parentheses, so read after the last ")".
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Socket inodes of /proc/net/tcp{,6} lines in state ESTABLISHED (01) whose remote port is `port`. */
export function establishedTo(port, tables) {
  const inodes = new Set();
  for (const table of tables) {
    for (const line of table.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const remotePort = parseInt(fields[2].split(':').at(-1), 16);
      if (fields[3] === '01' && remotePort === port) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** The socket inodes a process holds open (readlink /proc/<pid>/fd/* -> "socket:[inode]"). */
export function socketInodes(pid, proc = '/proc') {
  const inodes = new Set();
  const dir = path.join(proc, String(pid), 'fd');
  for (const fd of readdirSync(dir)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(path.join(dir, fd)));
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** The port of a host:port address ([v6]:port too); 7233 when none is given. */
export function temporalPort(address = '') {
  const match = /:(\d+)$/.exec(address.trim());
  return match ? Number(match[1]) : 7233;
}

async function checkApi(env) {
  const port = Number(env.TESSERA_API_PORT || 8080);
  const url = `http://127.0.0.1:${port}/api/v1/health`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = await response.text();
    if (response.status === 200) return { ok: true, why: `${url} answered 200` };
    return { ok: false, why: `${url} answered ${response.status}: ${body.slice(0, 200)}` };
  } catch (err) {
    return { ok: false, why: `${url} did not answer: ${err?.cause?.code ?? err?.message ?? err}` };
  }
}

function checkWorker(env, proc = '/proc') {
  const workers = tesseraProcesses(proc).filter((p) => p.command === 'worker');
  if (workers.length === 0) return { ok: false, why: 'no `tessera worker` process is running' };
  const port = temporalPort(env.TEMPORAL_ADDRESS);
  const tables = ['tcp', 'tcp6'].map((name) => {
    try {
      return readFileSync(path.join(proc, 'net', name), 'utf8');
    } catch {
      return '';
    }
  });
  const connected = establishedTo(port, tables);
  // One worker per container; should there be several, one connected one is enough.
  const problems = [];
  for (const { pid } of workers) {
    let state;
    try {
      state = processState(pid, proc);
    } catch {
      problems.push(`pid ${pid} ended`);
      continue;
    }
    if (state === 'Z' || state === 'T' || state === 't') {
      problems.push(`pid ${pid} is in state ${state}`);
      continue;
    }
    let sockets;
    try {
      sockets = socketInodes(pid, proc);
    } catch (err) {
      problems.push(`pid ${pid}: cannot read its sockets (${err?.code ?? err})`);
      continue;
    }
    if ([...sockets].some((inode) => connected.has(inode))) return { ok: true, why: `tessera worker (pid ${pid}) is connected to Temporal on port ${port}` };
    problems.push(`pid ${pid} holds no connection to Temporal on port ${port}`);
  }
  return { ok: false, why: `tessera worker: ${problems.join('; ')} (TEMPORAL_ADDRESS=${env.TEMPORAL_ADDRESS ?? ''})` };
}

/** Runs the check for `mode` ('api', 'worker', or undefined: from the tessera command running here). */
export async function healthcheck(mode, env = process.env, proc = '/proc') {
  let chosen = mode;
  if (!chosen) {
    const commands = new Set(tesseraProcesses(proc).map((p) => p.command));
    chosen = commands.has('serve') || commands.has('dev') ? 'api' : commands.has('worker') ? 'worker' : undefined;
    if (!chosen) return { ok: false, why: 'no `tessera serve`, `tessera dev` or `tessera worker` process is running' };
  }
  if (chosen === 'api') return checkApi(env);
  if (chosen === 'worker') return checkWorker(env, proc);
  return { ok: false, why: `unknown mode "${chosen}" (api or worker)` };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const result = await healthcheck(process.argv[2]);
  process.stdout.write(`${result.ok ? 'healthy' : 'unhealthy'}: ${result.why}\n`);
  process.exitCode = result.ok ? 0 : 1;
}
