/**
 * The OpenAPI document matches what the server does: Schemathesis (a property-based OpenAPI fuzzer,
 * installed under .tools/ by `npm test`'s pretest step) runs every operation of a live, keys-required
 * API with generated valid and invalid requests, bounded in examples and with a fixed seed, and every
 * check must pass: no 5xx, only documented statuses and content types, responses valid against their
 * schemas, invalid requests refused, valid ones accepted, auth enforced, undeclared methods 405.
 *
 * Two passes: most operations with the default checks, then the operations whose schema-valid requests
 * can still fail semantic checks (see openapi/semantic-refusals.toml) with those refusals allowed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { ROOT } from '../support/cli.ts';
import { greetingPipeline } from '../support/fixtures.ts';

const ST = path.join(ROOT, '.tools', 'schemathesis', 'bin', 'st');
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Paths whose schema-valid requests can be refused by checks beyond JSON Schema. */
const SEMANTIC_PATHS = [
  '/api/v1/pipelines', // POST: graph validation; GET: opaque cursor
  '/api/v1/pipelines/{id}', // PUT: graph validation
  '/api/v1/pipelines/import',
  '/api/v1/runs', // opaque cursor
  '/api/v1/blobs', // sniffed bytes against ?kind=, multipart needs "file"
  '/api/v1/pipelines/{id}/runs', // inputs against the pipeline's input nodes
  '/api/v1/pipelines/{id}/schedules', // cron, intervals, timezones
  '/api/v1/schedules/{id}',
  '/api/v1/pipelines/{id}/webhooks', // secret or generateSecret
];

let env: ApiEnv;
let key: string;
before(async () => {
  env = await startApiEnv({ authRequired: true });
  key = (await env.deps.store.createApiKey('schemathesis')).secret;
  // Something to find, so that operations on existing resources are reached too.
  const saved = await env.request('POST', '/api/v1/pipelines', { token: key, body: greetingPipeline('fuzzed') });
  assert.equal(saved.status, 201);
});
after(async () => env?.close());

function schemathesis(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ST, args, { cwd: env.dir, env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_HOOKS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

function commonArgs(): string[] {
  return [
    'run', `${env.url}/api/v1/openapi.json`,
    '--header', `Authorization: Bearer ${key}`,
    // One worker: hypothesis describing filters from several threads at once trips a CPython 3.11 AST error.
    '--max-examples', '10', '--seed', '1', '--workers', '1',
    '--continue-on-failure', '--no-shrink', '--request-timeout', '30',
    '--report', 'junit', '--report-dir', path.join(env.dir, 'schemathesis'),
  ];
}

test('Schemathesis is installed (npm test installs it)', () => {
  assert.ok(existsSync(ST), `${ST} is missing: run "node scripts/test-tools.mjs"`);
});

test('every operation conforms to the OpenAPI document', async () => {
  const excluded = SEMANTIC_PATHS.flatMap((p) => ['--exclude-path', p]);
  const { code, output } = await schemathesis([...commonArgs(), ...excluded]);
  assert.equal(code, 0, output.slice(-20_000));
  assert.match(output, /API Operations:\s+Selected: (\d+)\/\d+/);
});

test('operations with semantic checks conform too, their coded 400/415 refusals of schema-valid requests allowed', async () => {
  const included = SEMANTIC_PATHS.flatMap((p) => ['--include-path', p]);
  const { code, output } = await schemathesis(['--config-file', path.join(HERE, 'openapi', 'semantic-refusals.toml'), ...commonArgs(), ...included]);
  assert.equal(code, 0, output.slice(-20_000));
});
