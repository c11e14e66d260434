/**
 * npm 11 skips dependencies' install scripts that `allowScripts` does not cover, and warns about each.
 * Every installed package with an install script is listed: `true` only where the script is needed
 * (better-sqlite3 builds or fetches its native module), `false` for the rest, whose scripts only print
 * messages or re-check binaries their optional dependencies already ship.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/cli.ts';

const NEEDED = ['better-sqlite3'];

function packagesWithInstallScripts(): string[] {
  const modules = path.join(ROOT, 'node_modules');
  const names = readdirSync(modules).flatMap((entry) =>
    entry.startsWith('@') ? readdirSync(path.join(modules, entry)).map((sub) => `${entry}/${sub}`) : entry.startsWith('.') ? [] : [entry],
  );
  return names.filter((name) => {
    const file = path.join(modules, name, 'package.json');
    if (!existsSync(file)) return false;
    const scripts = (JSON.parse(readFileSync(file, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
    return ['preinstall', 'install', 'postinstall'].some((s) => scripts[s]);
  });
}

test('allowScripts covers every install script: allowed only where needed, denied explicitly otherwise', () => {
  const allow = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean> }).allowScripts;
  const found = packagesWithInstallScripts();
  assert.ok(found.includes('better-sqlite3'), found.join(', '));
  for (const name of found) assert.ok(name in allow, `${name} has an install script but no allowScripts entry`);
  assert.deepEqual(Object.keys(allow).filter((name) => allow[name] === true), NEEDED);
});
