/**
 * `tessera run` and `tessera dev` as a user runs them: real processes, a real embedded Temporal server.
 * Most runs connect to one `tessera dev` started here; one run starts its own embedded server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, startDev, tessera, type DevProcess } from '../support/cli.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-cli-run-'));
let dev: DevProcess;
let devEnv: Record<string, string>;

before(async () => {
  dev = await startDev(path.join(dir, 'data'), { TESSERA_TASK_QUEUE: 'cli-test' }, ['--no-api', '--plugin', './test/support/test-nodes.ts']);
  devEnv = dev.env;
  assert.match(dev.stderr(), new RegExp(`embedded Temporal server at 127.0.0.1:${devEnv.TESSERA_TEMPORAL_PORT}`));
});

after(async () => dev?.stop());

const write = (name: string, doc: unknown) => {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(doc));
  return file;
};

test('run --json prints exactly one JSON object with the outputs', async () => {
  const result = await tessera(['run', 'examples/greeting.pipeline.json', '--input', 'who=Ada', '--input', 'profile={"city":"Porto"}', '--json'], { env: devEnv });
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const body = JSON.parse(lines[0]);
  assert.equal(body.status, 'succeeded');
  assert.match(body.runId, /^run-/);
  assert.deepEqual(body.outputs, { message: 'Hello, Ada! You live in Porto.' });
});

test('a file input is stored as a blob and a blob output is written to a file', async () => {
  const file = write('image-passthrough.json', {
    format: 'tessera.pipeline/v1',
    name: 'image-passthrough',
    nodes: [
      { id: 'photo', type: 'input', params: { name: 'photo', kind: 'image' } },
      { id: 'out', type: 'output', params: { name: 'copy' } },
    ],
    edges: [{ from: 'photo.value', to: 'out.value' }],
  });
  const outDir = path.join(dir, 'out');
  const result = await tessera(['run', file, '--input', 'photo=@test/fixtures/pixel.png', '--out-dir', outDir, '--json'], { env: devEnv });
  assert.equal(result.code, 0, result.stderr);
  const { outputs } = JSON.parse(result.stdout);
  assert.equal(outputs.copy.mime, 'image/png');
  assert.equal(outputs.copy.path, path.join(outDir, 'copy.png'));
  assert.deepEqual(readFileSync(outputs.copy.path), readFileSync(path.join(ROOT, 'test/fixtures/pixel.png')));

  const human = await tessera(['run', file, '--input', 'photo=@test/fixtures/pixel.png', '--out-dir', outDir], { env: devEnv });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`copy: ${outDir}/copy.png \\(image/png, \\d+ bytes\\)`));
});

test('the local CLI still reads files of this machine with load-file (no allowed folders needed)', async () => {
  writeFileSync(path.join(dir, 'note.txt'), 'a local note');
  const file = write('load-files.json', {
    format: 'tessera.pipeline/v1',
    name: 'load-files',
    nodes: [
      { id: 'note', type: 'load-file', params: { path: path.join(dir, 'note.txt'), kind: 'text' } },
      { id: 'pixel', type: 'load-file', params: { path: 'test/fixtures/pixel.png', kind: 'image' } },
      { id: 'text', type: 'output', params: { name: 'text' } },
      { id: 'image', type: 'output', params: { name: 'image' } },
    ],
    edges: [
      { from: 'note.value', to: 'text.value' },
      { from: 'pixel.value', to: 'image.value' },
    ],
  });
  assert.match(dev.stderr(), /local files: API runs may not read the worker's disk \(no --file-root\)/);
  const result = await tessera(['run', file, '--out-dir', path.join(dir, 'loaded'), '--json'], { env: devEnv });
  assert.equal(result.code, 0, result.stderr);
  const { outputs } = JSON.parse(result.stdout);
  assert.equal(outputs.text, 'a local note');
  assert.equal(outputs.image.mime, 'image/png');
});

test('a 9 MB text input runs (stored as a blob, not sent through Temporal); params too large are refused', async () => {
  const doc = (template: string) => ({
    format: 'tessera.pipeline/v1',
    name: 'long-input',
    nodes: [
      { id: 't', type: 'input', params: { name: 't', kind: 'text' } },
      { id: 'fill', type: 'text-template', params: { template } },
      { id: 'out', type: 'output', params: { name: 'text' } },
    ],
    edges: [
      { from: 't.value', to: 'fill.t' },
      { from: 'fill.text', to: 'out.value' },
    ],
  });
  const input = path.join(dir, 'nine-mb.txt');
  const text = 'nine:' + '0123456789abcdef'.repeat(9 * 65536);
  writeFileSync(input, text);
  const result = await tessera(['run', write('long-input.json', doc('{{t}}!')), '--input', `t=@${input}`, '--json'], { env: devEnv });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).outputs.text, `${text}!`);

  const refused = await tessera(['run', write('huge-params.json', doc(`{{t}}${'x'.repeat(300 * 1024)}`)), '--input', 't=a', '--json'], { env: devEnv });
  assert.equal(refused.code, 1);
  const error = JSON.parse(refused.stdout).error;
  assert.equal(error.code, 'PIPELINE_TOO_LARGE');
  assert.equal(error.nodeId, 'fill');
});

test('a failing node ends the run with exit 1 and a message naming the node', async () => {
  const file = write('failing.json', {
    format: 'tessera.pipeline/v1',
    name: 'failing',
    nodes: [
      { id: 'scan', type: 'test-fail', params: { message: 'page 2 is blank' } },
      { id: 'out', type: 'output', params: { name: 'x' } },
    ],
    edges: [{ from: 'scan.out', to: 'out.value' }],
  });
  const result = await tessera(['run', file, '--plugin', './test/support/test-nodes.ts'], { env: devEnv });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /error NODE_FAILED \[node "scan"\]: Node "scan" \(test-fail\) failed: page 2 is blank/);
  assert.match(result.stderr, /node scan failed: page 2 is blank/);

  const json = await tessera(['run', file, '--plugin', './test/support/test-nodes.ts', '--json'], { env: devEnv });
  const body = JSON.parse(json.stdout);
  assert.equal(body.status, 'failed');
  assert.equal(body.error.nodeId, 'scan');
});

test('input mistakes are reported before anything runs and leave nothing behind', async () => {
  const missingInput = await tessera(['run', 'examples/greeting.pipeline.json', '--json'], { env: devEnv });
  assert.equal(missingInput.code, 1);
  assert.equal(JSON.parse(missingInput.stdout).error.code, 'RUN_INPUT_MISSING');

  const emptyData = path.join(dir, 'empty-data');
  const missingFile = await tessera(['run', 'examples/greeting.pipeline.json', '--input', 'who=@no/such/file.txt'], {
    env: { ...devEnv, TESSERA_DATA_DIR: emptyData },
  });
  assert.equal(missingFile.code, 1);
  assert.match(missingFile.stderr, /^error INPUT_FILE_NOT_FOUND: Input "who": file "no\/such\/file.txt" does not exist/m);
  assert.ok(!existsSync(emptyData), 'no data folder was created');

  const unknown = await tessera(['run', 'examples/greeting.pipeline.json', '--input', 'whom=x'], { env: devEnv });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^error RUN_INPUT_UNKNOWN: The pipeline has no input "whom" \(inputs: who, profile\)/m);
});

test('run starts its own embedded server when none is running, and stops it after', async () => {
  const dataDir = path.join(dir, 'own-server');
  const result = await tessera(['run', 'examples/greeting.pipeline.json', '--input', 'who=Lin', '--json', '--data-dir', dataDir], {
    env: { TESSERA_TEMPORAL_PORT: '0' },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).outputs.message, 'Hello, Lin! You live in Lisbon.');
  assert.ok(readdirSync(dataDir).includes('temporal.db'), 'the Temporal database lives in the data folder');
});

test('an unreachable TEMPORAL_ADDRESS and a missing temporal binary are one-line errors', async () => {
  const unreachable = await tessera(['run', 'examples/greeting.pipeline.json', '--input', 'who=x'], {
    env: { TEMPORAL_ADDRESS: '127.0.0.1:1', TESSERA_DATA_DIR: path.join(dir, 'd1') },
  });
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /^error TEMPORAL_UNREACHABLE: Cannot reach Temporal at 127.0.0.1:1/m);
  assert.equal(unreachable.stderr.trim().split('\n').length, 1);

  const noBinary = await tessera(['run', 'examples/greeting.pipeline.json', '--input', 'who=x'], {
    env: { TEMPORAL_CLI_PATH: '/nonexistent/temporal', TESSERA_TEMPORAL_PORT: '0', TESSERA_DATA_DIR: path.join(dir, 'd2') },
  });
  assert.equal(noBinary.code, 1);
  assert.match(noBinary.stderr, /^error TEMPORAL_BINARY_NOT_FOUND: TEMPORAL_CLI_PATH is set to "\/nonexistent\/temporal"/m);
});
