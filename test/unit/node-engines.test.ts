/**
 * The supported Node versions are stated truthfully: every installed package accepts the oldest Node the
 * project supports (`engines.node` in package.json), so `npm install` on it prints no EBADENGINE warning.
 * (fastify's light-my-request asked for cookie 2, which declares Node 22; package.json's `overrides` pin
 * cookie 1.1.1, which has the one function it uses.)
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/cli.ts';

const semver = createRequire(import.meta.url)('semver') as { minVersion(range: string): { version: string } | null; satisfies(v: string, r: string): boolean; validRange(r: string): string | null };

function installed(dir: string, found: { name: string; version: string; node?: string }[] = []) {
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    const folder = path.join(dir, entry);
    if (entry.startsWith('@')) {
      installed(folder, found);
      continue;
    }
    const file = path.join(folder, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name: string; version: string; engines?: { node?: unknown } };
      found.push({ name: pkg.name, version: pkg.version, node: typeof pkg.engines?.node === 'string' ? pkg.engines.node : undefined });
    }
    if (existsSync(path.join(folder, 'node_modules'))) installed(path.join(folder, 'node_modules'), found);
  }
  return found;
}

test('every installed package accepts the oldest supported Node', () => {
  const range = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const oldest = semver.minVersion(range)!.version;
  const refusing = installed(path.join(ROOT, 'node_modules'))
    .filter((p) => p.node && semver.validRange(p.node) && !semver.satisfies(oldest, p.node))
    .map((p) => `${p.name}@${p.version} wants node ${p.node}`);
  assert.deepEqual(refusing, [], `Node ${oldest} (engines ${range}) is refused by:`);
});
