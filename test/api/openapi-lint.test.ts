/**
 * The OpenAPI document is one clients can be generated from: it passes a well-kept linter's recommended
 * rules (Redocly CLI: operationIds, summaries, servers, license, documented 4xx) and openapi-typescript
 * generates types from it that compile. Both tools are pinned in .tools/openapi by scripts/test-tools.mjs.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT } from '../support/cli.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';

const BIN = path.join(ROOT, '.tools', 'openapi', 'node_modules', '.bin');
let env: ApiEnv;
let docFile: string;
let doc: any;

before(async () => {
  if (!existsSync(path.join(BIN, 'redocly'))) execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'test-tools.mjs')], { stdio: 'inherit' });
  env = await startApiEnv({ authRequired: true });
  const response = await env.request('GET', '/api/v1/openapi.json');
  doc = response.json;
  docFile = path.join(env.dir, 'openapi.json');
  writeFileSync(docFile, response.text);
});
after(async () => env?.close());

test('every operation has a unique operationId, and the document names its server and license', () => {
  const ids = Object.values<Record<string, { operationId?: string }>>(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
  assert.ok(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]*$/.test(id)), JSON.stringify(ids));
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.includes('getRunsByIdEvents') && ids.includes('getMetrics'), JSON.stringify(ids));
  assert.deepEqual(doc.servers?.map((s: { url: string }) => s.url), ['/']);
  assert.equal(doc.info.license?.identifier, 'MIT');
});

test('Redocly CLI lints the document clean with its recommended rules', () => {
  const result = spawnSync(path.join(BIN, 'redocly'), ['lint', docFile, '--format=stylish'], {
    cwd: env.dir, // no redocly.yaml there: the built-in recommended ruleset
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
  });
  const output = `${result.stdout}\n${result.stderr}`;
  assert.equal(result.status, 0, output);
  assert.match(output, /Your API description is valid/);
  assert.doesNotMatch(output, /^\s*\d+:\d+\s+(warning|error)\s/m, output); // a rule's finding (not Redocly's Node 20 notice)
});

test('openapi-typescript generates types for a client, and they compile', () => {
  const types = path.join(env.dir, 'tessera-api.ts');
  execFileSync(path.join(BIN, 'openapi-typescript'), [docFile, '-o', types], { encoding: 'utf8', timeout: 120_000 });
  const generated = readFileSync(types, 'utf8');
  assert.match(generated, /getRunsById: \{/);
  // A typed call site: the run record's status as a generated client would see it.
  const usage = path.join(env.dir, 'usage.ts');
  writeFileSync(usage, `import type { operations } from './tessera-api.ts';\ntype Run = operations['getRunsById']['responses'][200]['content']['application/json'];\nexport const status = (run: Run): string => run.status;\n`);
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--allowImportingTsExtensions', '--module', 'nodenext', '--target', 'es2022', usage], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});
