// A bare Temporal worker in a process of its own (bench/media/scale-processes.ts): the bench's baseline
// workflows from a prebuilt bundle, a no-op activity, the worker settings Tessera's worker uses. Plain
// JavaScript, so no TypeScript loader adds to its memory.
//   node bare-worker-process.mjs <address> <task queue> <bundle file>
import { NativeConnection, Worker } from '@temporalio/worker';

const [address, taskQueue, codePath] = process.argv.slice(2);
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowBundle: { codePath },
  activities: { noop: async (text) => text },
  maxConcurrentActivityTaskExecutions: 100,
  stickyQueueScheduleToStartTimeout: '1s',
  shutdownGraceTime: '5s',
});
process.once('SIGTERM', () => worker.shutdown());
process.stderr.write('ready\n');
await worker.run();
await connection.close();
