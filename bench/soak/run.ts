/**
 * `npm run soak`: reliability under failures, on real processes (a script, not a test; it takes minutes).
 * Writes docs/reliability.md with the figures and the machine they were measured on.
 *
 *   SOAK_KILLS=20 SOAK_RUNS=1000 npm run soak
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { apiKill, manyRuns, serverRestart, workerKills, type Row } from './scenarios.ts';
import { SoakWorld } from './world.ts';

const kills = Number(process.env.SOAK_KILLS ?? 20);
const runs = Number(process.env.SOAK_RUNS ?? 1000);
const log = (message: string) => process.stderr.write(`soak: ${message}\n`);

const world = new SoakWorld();
const rows: Row[] = [];
try {
  await world.start();
  for (const [name, scenario] of [
    ['worker kills', () => workerKills(world, kills)],
    ['server restart', () => serverRestart(world, 5)],
    ['API kill', () => apiKill(world, 5)],
    ['many runs', () => manyRuns(world, runs, 20)],
  ] as const) {
    log(`${name}...`);
    const row = await scenario();
    log(`${row.result}`);
    rows.push(row);
  }
} finally {
  await world.close();
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const doc = `# Reliability

Measured by \`npm run soak\` (bench/soak/) on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores (${cpu}),
${Math.round(os.totalmem() / 1024 ** 3)} GiB, Linux ${os.release()}, Node ${process.version}; the embedded Temporal dev server (SQLite),
real \`tessera worker\` and \`tessera serve\` processes with the test nodes, kills by SIGKILL. Side effects are
counted from the nodes' own journals. Wall-clock figures move with the machine's load.

| scenario | result | detail |
|---|---|---|
${rows.map((r) => `| ${r.scenario} | ${r.result} | ${r.detail} |`).join('\n')}
`;
writeFileSync(new URL('../../docs/reliability.md', import.meta.url), doc);
log('wrote docs/reliability.md');
