/**
 * Tessera as a package (issue 14): `npm pack` makes a tarball with the command, the engine, the nodes, the
 * workflows, their compiled JavaScript (dist/) and the built editor and none of the checkout's tools, tests
 * or artefacts; installed into an empty project, its `tessera` bin runs compiled (no tsx), answers --help
 * and validates an example, its workflows bundle from under node_modules, and it finds its own bundled
 * ffmpeg and ffprobe. `tessera dev`'s first command to
 * try names `npx tessera` only where npx would find this package.
 *
 * The install skips install scripts (--ignore-scripts): better-sqlite3's native build and the temporal
 * CLI's pip install take a minute and are not what is tested here; the commands tested need neither.
 * It prefers npm's cache (filled by the checkout's own install), so it takes seconds, not minutes.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { buildState, buildInputs } from '../../bin/build-state.mjs';
import { ROOT } from '../support/cli.ts';

const run = promisify(execFile);

interface PackResult {
  filename: string;
  size: number;
  files: { path: string }[];
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-pack-'));
let pack: PackResult;
let tarball: string;

/** The environment of a child npm: none of the npm_* variables an outer `npm test` sets (npm_config_local_prefix would aim it at the checkout). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))), ...extra };
}

before(async () => {
  // --ignore-scripts: no `prepare` (it would build editor/dist and dist/ again); the checkout's install
  // built them. dist/ is rebuilt here when a source changed since (as `npm test` does first): the tarball
  // must not carry an old build.
  execFileSync(process.execPath, ['scripts/build-cli.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  assert.equal(buildState(ROOT), 'fresh', 'dist/ is of the sources as they are');
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, env: cleanEnv(), maxBuffer: 1 << 24 });
  pack = (JSON.parse(stdout) as PackResult[])[0]!;
  tarball = path.join(dir, pack.filename);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every file under a folder of the checkout, relative to the checkout. */
function walk(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { withFileTypes: true }).flatMap((e) => {
    const rel = `${folder}/${e.name}`;
    return e.isDirectory() ? walk(rel) : [rel];
  });
}

test('the tarball holds the command, engine, nodes, workflows and built editor, and none of the junk', () => {
  const files = new Set(pack.files.map((f) => f.path));
  for (const needed of [
    'package.json',
    'README.md',
    'bin/tessera.js',
    'bin/build-state.mjs',
    'dist/build-info.json',
    'dist/engine/cli/main.js',
    'dist/engine/temporal/child-guard.mjs',
    'dist/engine/providers/prices.json',
    'engine/cli/main.ts',
    'engine/temporal/child-guard.mjs',
    'engine/providers/prices.json',
    'nodes/index.ts',
    'workflows/index.ts',
    'editor/dist/index.html',
    'examples/greeting.pipeline.json',
    'schemas/pipeline.v1.schema.json',
    'scripts/setup.mjs',
  ]) {
    assert.ok(files.has(needed), `${needed} is in the tarball`);
  }
  assert.ok([...files].some((f) => /^editor\/dist\/assets\/.+\.js$/.test(f)), 'the editor\'s scripts are in the tarball');
  // Nothing of the code is left out by the "files" list (tests aside), nor of its compiled build.
  for (const file of ['engine', 'nodes', 'workflows'].flatMap(walk).filter((f) => !f.endsWith('.test.ts'))) {
    assert.ok(files.has(file), `${file} is in the tarball`);
  }
  for (const file of buildInputs(ROOT).map((f) => `dist/${f.replace(/\.ts$/, '.js')}`)) {
    assert.ok(files.has(file), `${file} is in the tarball`);
  }
  const junk = [...files].filter((f) => /^(\.tools|\.tessera|\.ci|\.git|node_modules|test|test-artifacts|tessera-output|bench|editor\/src)\//.test(f) || f.endsWith('.test.ts'));
  assert.deepEqual(junk, []);
  assert.ok(pack.size < 5_000_000, `the tarball is ${pack.size} bytes`);
  assert.equal(statSync(tarball).size, pack.size);
});

test('installed from the tarball: tessera runs compiled, --help and validate work, workflows bundle, bundled ffmpeg found', { timeout: 300_000 }, async () => {
  const project = path.join(dir, 'project');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'tessera-pack-test', private: true }));
  await run('npm', ['install', tarball, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project, env: cleanEnv(), maxBuffer: 1 << 24 });
  const installed = path.join(project, 'node_modules', 'tessera');
  const bin = path.join(project, 'node_modules', '.bin', 'tessera');

  const help = await run(bin, ['--help'], { cwd: project, env: cleanEnv() });
  assert.match(help.stdout, /^Usage: tessera /m);
  assert.match(help.stdout, /^ {2}dev \[options\] /m);
  // The installed files are newer than its build (npm wrote them), their contents the same: it runs compiled.
  const traced = await run(process.execPath, ['--import', path.join(ROOT, 'test/support/load-recorder-register.mjs'), path.join(installed, 'bin/tessera.js'), '--help'], { cwd: project, env: cleanEnv() });
  assert.match(traced.stderr, new RegExp(`^cli-entry file://${installed}/dist/engine/cli/main\\.js$`, 'm'));
  assert.doesNotMatch(traced.stderr, /^loaded-package tsx$/m);

  const valid = await run(bin, ['validate', path.join(installed, 'examples', 'greeting.pipeline.json')], { cwd: project, env: cleanEnv() });
  assert.match(valid.stdout, /: valid \(greeting, 7 nodes, 6 edges\)$/m);
  const broken = path.join(project, 'broken.pipeline.json');
  writeFileSync(broken, JSON.stringify({ format: 'tessera.pipeline/v1', name: 'broken', nodes: [{ id: 'x', type: 'no-such-type' }], edges: [] }));
  const refused = await run(bin, ['validate', broken], { cwd: project, env: cleanEnv() }).then(
    () => assert.fail('an unknown node type is refused'),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  assert.equal(refused.code, 1);
  assert.match(refused.stdout + refused.stderr, /UNKNOWN_NODE_TYPE/);

  // The worker's two start-up needs that differ under node_modules: the workflow bundle (the SDK's webpack
  // rule skips .ts under node_modules; the compiled module finds the workflow sources from dist/) and the
  // bundled media tools (npm left ffprobe without its x bit). Plain node, no tsx: the compiled modules.
  const probe = path.join(project, 'probe.mjs');
  writeFileSync(probe, `
import { loadWorkflowBundle } from ${JSON.stringify(path.join(installed, 'dist/engine/worker/workflow-bundle.js'))};
import { findMediaTools } from ${JSON.stringify(path.join(installed, 'dist/engine/media/find-tools.js'))};
const { code } = await loadWorkflowBundle(${JSON.stringify(path.join(project, 'bundle-cache'))});
const tools = findMediaTools({ env: { PATH: '' }, cacheDir: ${JSON.stringify(path.join(project, 'cache'))} });
console.log(JSON.stringify({ bundle: code.length, runPipeline: code.includes('function runPipeline'), ffmpeg: tools.ffmpeg.found, ffprobe: tools.ffprobe.found }));
`);
  const out = await run(process.execPath, [probe], { cwd: project, env: cleanEnv(), maxBuffer: 1 << 26 });
  const result = JSON.parse(out.stdout) as { bundle: number; runPipeline: boolean; ffmpeg?: { path: string; source: string }; ffprobe?: { path: string; source: string } };
  assert.ok(result.bundle > 100_000 && result.runPipeline, `workflow bundle of ${result.bundle} characters`);
  for (const tool of ['ffmpeg', 'ffprobe'] as const) {
    assert.equal(result[tool]?.source, 'bundled');
    assert.ok(result[tool]!.path.startsWith(path.join(project, 'node_modules') + path.sep), result[tool]!.path);
  }
});

test("dev's first command names npx tessera only where npx finds this package, else tessera", async () => {
  const { firstCommand } = await import('../../engine/cli/startup-banner.ts');
  assert.equal(firstCommand(ROOT), 'npx tessera run examples/greeting.pipeline.json -i who=Ada');
  assert.equal(firstCommand('/srv/app', '/srv/app/node_modules/tessera/'), 'npx tessera run node_modules/tessera/examples/greeting.pipeline.json -i who=Ada');
  // A global install (or npm link) started elsewhere: npx would fetch the unrelated registry package.
  assert.equal(firstCommand('/home/ada', '/usr/lib/node_modules/tessera/'), 'tessera run /usr/lib/node_modules/tessera/examples/greeting.pipeline.json -i who=Ada');
});
