// Records workflow histories for the replay test (test/engine/replay.test.ts) into a new folder named
// after the workflow revision, next to every earlier one: CI replays them all, so a change that would
// break runs started by an older version of the workflow fails the tests. Run it after each change to
// the workflow: `node --import tsx scripts/record-histories.ts <revision, e.g. 2026-11-30-node-details>`.
// Existing folders are never overwritten. The versioning policy is in the README (Tests and benchmarks).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { createTemporalEnv } from '../test/support/temporal-env.ts';
import { recordedPipelines } from '../test/support/recorded-pipelines.ts';
import { pricedProviders } from '../test/support/priced-provider.ts';

const revision = process.argv[2];
if (!revision || !/^[a-z0-9][a-z0-9.-]*$/.test(revision)) {
  console.error('usage: node --import tsx scripts/record-histories.ts <revision> (lower-case letters, digits, "-" and ".")');
  process.exit(2);
}
const folder = new URL(`../test/fixtures/histories/${revision}/`, import.meta.url);
if (existsSync(folder)) {
  console.error(`${folder.pathname} exists: recorded histories are kept as they are; choose a new revision name.`);
  process.exit(2);
}

const env = await createTemporalEnv();
try {
  // Budgeted pipelines call the in-process priced provider (slow enough for parallel calls to overlap).
  await env.startWorker({ providers: pricedProviders({ delayMs: 500 }) });
  mkdirSync(folder, { recursive: true });
  for (const { name, doc, inputs, fails, subPipelines, during } of recordedPipelines) {
    const handle = await env.start(doc, inputs, 'cli', subPipelines);
    await during?.(handle);
    await handle.result().then(
      () => fails && console.warn(`${name}: expected a failure`),
      (err) => !fails && console.warn(`${name}: unexpected failure ${err}`),
    );
    const history = await handle.fetchHistory();
    const target = new URL(`${name}.json`, folder);
    writeFileSync(target, historyToJSON(history) + '\n');
    console.log(`recorded ${target.pathname} (${history.events?.length} events)`);
  }
} finally {
  await env.close();
}
