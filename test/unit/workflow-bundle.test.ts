/** The workflow bundle cache is keyed by the SDK packages as installed, not by a version written in the code. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { installedSdkVersions } from '../../engine/worker/workflow-bundle.ts';

test('the key names the installed versions of the bundled SDK packages', () => {
  const installed = JSON.parse(readFileSync(new URL('../../node_modules/@temporalio/workflow/package.json', import.meta.url), 'utf8')).version;
  const versions = installedSdkVersions();
  assert.ok(versions.includes(`@temporalio/workflow@${installed}`), versions.join(', '));
  assert.equal(versions.length, 3);
});
