/**
 * The compiled CLI (issue 14 item 7): bin/tessera.js runs dist/ (scripts/build-cli.mjs, built by `prepare`
 * on install and by `npm test`'s pretest when a source changed; here too, when this file runs alone after
 * an edit) when that build is of the sources as they are, and the TypeScript sources through tsx otherwise. Every other CLI test spawns the bin as users do,
 * so with a fresh build they exercise the compiled code, and with a stale one the sources (never old
 * code); this file checks that the compiled path is really the one taken, that it works end to end (a
 * real run on an embedded server, a TypeScript plugin), and that a stale or missing build falls back.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BUILD_INFO, buildState, sourceStamp } from '../../bin/build-state.mjs';
import { ROOT } from '../support/cli.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-compiled-'));
// Other test files running meanwhile switch from the sources to the new build when it lands: both are current.
before(() => execFileSync(process.execPath, ['scripts/build-cli.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' }));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Traced {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Which CLI entry module ran: dist/engine/cli/main.js or engine/cli/main.ts. */
  entry: 'compiled' | 'source' | undefined;
  tsx: boolean;
}

/** Runs a bin with the load recorder: which entry ran, and whether tsx was loaded. */
function traced(bin: string, args: string[], env: Record<string, string> = {}): Traced {
  const result = spawnSync(process.execPath, ['--import', path.join(ROOT, 'test/support/load-recorder-register.mjs'), bin, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, TEMPORAL_ADDRESS: '', TESSERA_FROM_SOURCE: '', ...env },
  });
  const lines = result.stderr.split('\n');
  const entryUrl = lines.find((l) => l.startsWith('cli-entry '))?.slice('cli-entry '.length);
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: lines.filter((l) => !l.startsWith('loaded-package ') && !l.startsWith('cli-entry ')).join('\n'),
    entry: entryUrl === undefined ? undefined : entryUrl.endsWith('/dist/engine/cli/main.js') ? 'compiled' : 'source',
    tsx: lines.includes('loaded-package tsx'),
  };
}

const BIN = path.join(ROOT, 'bin/tessera.js');

test("the checkout's compiled build is of its sources as they are", () => {
  assert.equal(buildState(ROOT), 'fresh', 'dist/ is missing or older than the sources: run `npm run build:cli`');
});

for (const args of [['--help'], ['validate', 'examples/voice-note-to-summary.pipeline.json'], ['nodes']]) {
  test(`tessera ${args[0]} runs compiled, without tsx`, () => {
    const run = traced(BIN, args);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.entry, 'compiled');
    assert.equal(run.tsx, false, 'tsx is not loaded');
  });
}

test('TESSERA_FROM_SOURCE=1 runs the sources through tsx, with the same output', () => {
  const compiled = traced(BIN, ['validate', 'examples/voice-note-to-summary.pipeline.json']);
  const source = traced(BIN, ['validate', 'examples/voice-note-to-summary.pipeline.json'], { TESSERA_FROM_SOURCE: '1' });
  assert.equal(source.code, 0, source.stderr);
  assert.equal(source.entry, 'source');
  assert.equal(source.tsx, true);
  assert.equal(source.stdout, compiled.stdout);
});

test('compiled: a real run on its own embedded Temporal server, with a TypeScript plugin', { timeout: 180_000 }, async () => {
  const { freePort } = await import('../../engine/temporal/dev-server.ts');
  const port = await freePort();
  const pipeline = path.join(dir, 'plugin.pipeline.json');
  writeFileSync(pipeline, JSON.stringify({
    format: 'tessera.pipeline/v1',
    name: 'compiled-plugin',
    nodes: [
      { id: 'who', type: 'input', params: { name: 'who', kind: 'text' } },
      { id: 'wait', type: 'test-sleep', params: { ms: 10 } },
      { id: 'out', type: 'output', params: { name: 'text' } },
    ],
    edges: [{ from: 'who.value', to: 'wait.in' }, { from: 'wait.out', to: 'out.value' }],
  }));
  const env = { TESSERA_TEMPORAL_PORT: String(port), TESSERA_DATA_DIR: path.join(dir, 'data'), TESSERA_TASK_QUEUE: `compiled-${port}` };
  const run = traced(BIN, ['run', pipeline, '--plugin', './test/support/test-nodes.ts', '-i', 'who=Ada', '--json'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.entry, 'compiled');
  assert.equal(run.tsx, true, 'tsx is loaded for the TypeScript plugin');
  const body = JSON.parse(run.stdout) as { status: string; outputs: Record<string, unknown> };
  assert.equal(body.status, 'succeeded');
  assert.deepEqual(body.outputs, { text: 'Adawait;' });
});

/**
 * A package of its own in the temporary folder: a copy of bin/ (the bin finds dist/ and the sources next
 * to itself) and links to the checkout's sources and node_modules, with `dist` a copy of the checkout's
 * build or none.
 */
function layout(name: string, dist: 'copy' | 'none'): string {
  const root = path.join(dir, name);
  mkdirSync(root);
  cpSync(path.join(ROOT, 'bin'), path.join(root, 'bin'), { recursive: true });
  for (const link of ['engine', 'nodes', 'workflows', 'node_modules', 'package.json', 'examples']) symlinkSync(path.join(ROOT, link), path.join(root, link));
  if (dist === 'copy') cpSync(path.join(ROOT, 'dist'), path.join(root, 'dist'), { recursive: true });
  return root;
}

test('a build older than the sources is not run: the sources are, through tsx', () => {
  const root = layout('stale', 'copy');
  const bin = path.join(root, 'bin/tessera.js');
  assert.equal(traced(bin, ['--help']).entry, 'compiled', 'the copied build is fresh');

  const infoFile = path.join(root, BUILD_INFO);
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as { newest: number; sha256: string };
  // As if the newest source were edited after the build.
  writeFileSync(infoFile, JSON.stringify({ ...info, newest: info.newest - 1, sha256: '0'.repeat(64) }));
  const run = traced(bin, ['validate', 'examples/greeting.pipeline.json']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.entry, 'source');
  assert.equal(run.tsx, true);
  assert.equal(run.stderr.trim(), '', 'the note about the stale build is for terminals only');

  // On a terminal (`script` gives the command one), a one-line note says why start-up is slower.
  const tty = spawnSync('script', ['-qec', `${process.execPath} ${bin} validate examples/greeting.pipeline.json`, '/dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const lines = tty.stdout.replace(/\r/g, '').trim().split('\n');
  assert.equal(lines[0], 'tessera: the sources changed since dist/ was built; running the TypeScript sources through tsx (slower start; npm run build:cli compiles them)');
  assert.match(lines[1]!, /: valid \(greeting, /);
});

test('without a build, the sources run through tsx', () => {
  const run = traced(path.join(layout('missing', 'none'), 'bin/tessera.js'), ['--help']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.entry, 'source');
  assert.equal(run.tsx, true);
});

test('build state: what makes a build stale, and what does not', () => {
  const root = path.join(dir, 'fake');
  const file = (rel: string, text = 'export {};\n') => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  for (const rel of ['engine/a.ts', 'engine/sub/data.json', 'engine/guard.mjs', 'nodes/x/index.ts', 'workflows/index.ts']) file(rel);
  const past = new Date(Date.now() - 60_000);
  const age = (rel: string) => utimesSync(path.join(root, rel), past, past);
  for (const rel of ['engine/a.ts', 'engine/sub/data.json', 'engine/guard.mjs', 'nodes/x/index.ts', 'workflows/index.ts']) age(rel);
  assert.equal(buildState(root), 'missing');
  file('dist/engine/cli/main.js');
  assert.equal(buildState(root), 'stale', 'a build without build-info.json is unfinished');

  const record = () => writeFileSync(path.join(root, BUILD_INFO), JSON.stringify(sourceStamp(root)));
  record();
  assert.equal(sourceStamp(root).files, 5);
  assert.equal(buildState(root), 'fresh');
  // Not build inputs: tests, docs, dotfiles (editor swap files).
  file('engine/a.test.ts');
  file('engine/README.md');
  file('engine/.a.ts.swp');
  assert.equal(buildState(root), 'fresh');

  utimesSync(path.join(root, 'engine/a.ts'), new Date(), new Date());
  assert.equal(buildState(root), 'fresh', 'a source touched (git checkout back and forth), its content the same');
  file('engine/a.ts', 'export const edited = true;\n');
  assert.equal(buildState(root), 'stale', 'an edited source');
  record();
  file('nodes/y/index.ts');
  age('nodes/y/index.ts');
  assert.equal(buildState(root), 'stale', 'a new source, even with an old time');
  record();
  rmSync(path.join(root, 'engine/guard.mjs'));
  assert.equal(buildState(root), 'stale', 'a removed file');
  record();
  // An installed package: npm wrote every file after the build was made; the contents are the same.
  const later = new Date(Date.now() + 60_000);
  for (const rel of ['engine/a.ts', 'engine/sub/data.json', 'nodes/x/index.ts', 'nodes/y/index.ts', 'workflows/index.ts', BUILD_INFO]) utimesSync(path.join(root, rel), later, later);
  assert.equal(buildState(root), 'fresh');
});
