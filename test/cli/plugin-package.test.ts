/**
 * A third-party node in a folder of its own, importing the SDK by package name (`tessera/node-sdk`, as it
 * would after `npm link tessera` or installing Tessera as a dependency) and using the SDK's zod: it loads
 * with --plugin, runs, and its NodeError fails the node at once (not retried).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { NodeError } from '../../engine/node-sdk/define-node.ts';
import { ROOT, startDev, tessera, type DevProcess } from '../support/cli.ts';

let dir: string;
let plugin: string;
let dev: DevProcess;
const pipelineFile = () => path.join(dir, 'shout.pipeline.json');

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-plugin-'));
  const folder = path.join(dir, 'acme-nodes');
  mkdirSync(path.join(folder, 'node_modules'), { recursive: true });
  writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: 'acme-nodes', type: 'module', private: true, dependencies: { tessera: '*' } }));
  symlinkSync(ROOT, path.join(folder, 'node_modules', 'tessera'), 'dir'); // what `npm link tessera` makes
  plugin = path.join(folder, 'index.ts');
  writeFileSync(plugin, `
import { defineNode, NodeError, z } from 'tessera/node-sdk';

export default defineNode({
  type: 'acme-shout', version: 1, title: 'Shout', category: 'Text', description: 'Upper-cases text.',
  params: z.object({ suffix: z.string().default('!') }),
  inputs: { text: { kind: 'text' } },
  outputs: { text: { kind: 'text' } },
  execution: { startToCloseTimeout: '30s', retry: { maximumAttempts: 3, initialInterval: '100ms' } },
  run: async (_ctx, inputs, params) => {
    if (!inputs.text.trim()) throw new NodeError('EMPTY_TEXT', 'Nothing to shout.');
    return { text: inputs.text.toUpperCase() + params.suffix };
  },
});
`);
  writeFileSync(pipelineFile(), JSON.stringify({
    format: 'tessera.pipeline/v1',
    name: 'shout',
    nodes: [
      { id: 'in', type: 'input', params: { name: 'text', kind: 'text' } },
      { id: 'shout', type: 'acme-shout', params: { suffix: '!!' } },
      { id: 'out', type: 'output', params: { name: 'text' } },
    ],
    edges: [{ from: 'in.value', to: 'shout.text' }, { from: 'shout.text', to: 'out.value' }],
  }));
  dev = await startDev(path.join(dir, 'data'));
});
after(async () => {
  await dev?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a plugin in its own folder that imports tessera/node-sdk loads, validates and runs', async () => {
  const result = await tessera(['run', pipelineFile(), '--plugin', plugin, '-i', 'text=hello', '--json'], { env: dev.env });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout).outputs, { text: 'HELLO!!' });
});

test('its NodeError fails the node at once, with its code', async () => {
  const result = await tessera(['run', pipelineFile(), '--plugin', plugin, '-i', 'text= ', '--json'], { env: dev.env });
  assert.equal(result.code, 1);
  const error = JSON.parse(result.stdout).error;
  assert.equal(error.nodeId, 'shout');
  assert.equal(error.details.code, 'EMPTY_TEXT');
  assert.doesNotMatch(result.stderr, /attempt 2/);
});

test('a NodeError from another copy of the SDK is still a NodeError (a plugin with its own install)', async () => {
  const copy = (await import(`../../engine/node-sdk/define-node.ts?copy=${Date.now()}`)) as typeof import('../../engine/node-sdk/define-node.ts');
  assert.notEqual(copy.NodeError, NodeError, 'a second module instance');
  const err = new copy.NodeError('EMPTY_TEXT', 'x');
  assert.ok(err instanceof NodeError);
  assert.ok(!(new Error('x') instanceof NodeError));
});
