/**
 * Runs a command (the embedded `temporal` server) and ends it when this process's stdin closes. The
 * parent keeps that pipe open for as long as it lives, and the kernel closes it when the parent dies in
 * any way, SIGKILL included, so the server cannot outlive `tessera dev` and keep holding its ports.
 * Plain JavaScript, so it starts in milliseconds without the TypeScript loader.
 *
 *   node child-guard.mjs <command> [args...]    (stdin: a pipe from the parent)
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 5000).unref();
}

process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, stop);

child.on('error', (err) => {
  process.stderr.write(`error: cannot start ${command}: ${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
