/**
 * The Temporal runtime Tessera installs: the SDK core's own logs go through Tessera's logger at the
 * configured level (TESSERA_TEMPORAL_LOG_LEVEL, default ERROR) instead of straight to the console from
 * WARN up, and the SDK installs no signal handlers (the commands handle Ctrl-C themselves). Checked in a
 * fresh process, since a runtime is installed once per process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { ROOT } from '../support/cli.ts';

function installedRuntime(env: Record<string, string> = {}): { logExporter: { type: string; filter: string }; shutdownSignals: string[] } {
  const script = `
    const { ensureTemporalRuntime } = await import('./engine/worker/runtime.ts');
    const { Runtime } = await import('@temporalio/worker');
    ensureTemporalRuntime();
    const { runtimeOptions, shutdownSignals } = Runtime.instance().options;
    console.log(JSON.stringify({ logExporter: runtimeOptions.logExporter, shutdownSignals }));
    await Runtime.instance().shutdown(); // nothing else holds it here, and it keeps the process alive`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

test('core logs are forwarded to the logger at the configured level; no SDK signal handlers', () => {
  const quiet = installedRuntime({ TESSERA_TEMPORAL_LOG_LEVEL: 'ERROR' });
  assert.equal(quiet.logExporter.type, 'forward');
  assert.match(quiet.logExporter.filter, /temporalio_sdk_core=ERROR/);
  assert.doesNotMatch(quiet.logExporter.filter, /WARN/);
  assert.deepEqual(quiet.shutdownSignals, []);

  const chatty = installedRuntime({ TESSERA_TEMPORAL_LOG_LEVEL: 'INFO' });
  assert.match(chatty.logExporter.filter, /temporalio_sdk_core=INFO/);
});
