// Records workflow histories used by the replay test (test/engine/replay.test.ts). Run after a deliberate,
// compatible change to the workflow: `node --import tsx scripts/record-histories.ts`.
import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { createTemporalEnv } from '../test/support/temporal-env.ts';
import { recordedPipelines } from '../test/support/recorded-pipelines.ts';

const env = await createTemporalEnv();
try {
  await env.startWorker();
  for (const { name, doc, inputs, fails } of recordedPipelines) {
    const handle = await env.start(doc, inputs);
    await handle.result().then(
      () => fails && console.warn(`${name}: expected a failure`),
      (err) => !fails && console.warn(`${name}: unexpected failure ${err}`),
    );
    const history = await handle.fetchHistory();
    const target = new URL(`../test/fixtures/histories/${name}.json`, import.meta.url);
    writeFileSync(target, historyToJSON(history) + '\n');
    console.log(`recorded ${target.pathname} (${history.events?.length} events)`);
  }
} finally {
  await env.close();
}
