// Preloaded into a `tessera` process by the benchmark (NODE_OPTIONS=--import): every 200 ms, appends the main
// thread's memory figures as a JSON line to `$BENCH_MEMORY_PROBE.<pid>`, so a peak of the process's RSS can be
// split into V8's heap, memory outside it held by JavaScript objects (external, array buffers) and the rest
// (the Node.js binary and native libraries, other threads' V8 heaps, native allocations).
import { appendFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const prefix = process.env.BENCH_MEMORY_PROBE;
if (prefix && isMainThread) {
  const file = `${prefix}.${process.pid}`;
  const take = () => appendFileSync(file, `${JSON.stringify({ at: Date.now(), ...process.memoryUsage() })}\n`);
  take();
  setInterval(take, 200).unref();
}
