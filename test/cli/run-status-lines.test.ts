/**
 * On a terminal, `tessera run` says at once what its first seconds are spent on ("connecting to Temporal
 * at ..."), instead of printing nothing until the run starts. Run under `script` (util-linux), which gives
 * the command a pseudo-terminal; without one (logs, --json, tests) the line is left out.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ROOT } from '../support/cli.ts';

const run = 'node bin/tessera.js run examples/greeting.pipeline.json -i who=x';
const env = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' }; // nothing answers: the command ends quickly

test('on a terminal the first line says where it connects; without one only the error is printed', () => {
  const tty = spawnSync('script', ['-qec', run, '/dev/null'], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  // Not the command's: the bin's note on a terminal when it runs the sources because dist/ is out of date.
  const lines = tty.stdout.replace(/\r/g, '').trim().split('\n').filter((l) => !/^tessera: .*running the TypeScript sources/.test(l));
  assert.equal(lines[0], 'connecting to Temporal at 127.0.0.1:1 ...', tty.stdout);
  assert.match(lines.at(-1)!, /^error TEMPORAL_UNREACHABLE: /);

  const piped = spawnSync(process.execPath, ['bin/tessera.js', 'run', 'examples/greeting.pipeline.json', '-i', 'who=x'], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(piped.stderr.trim().split('\n').length, 1, piped.stderr);
});
