import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;

/**
 * The Temporal SDK's runtime is process-wide by nature; install it once with a quiet logger so worker
 * chatter does not drown the CLI's output (TESSERA_TEMPORAL_LOG_LEVEL=WARN or INFO brings it back; node failures are reported by Tessera itself).
 */
export function ensureTemporalRuntime(): void {
  if (installed) return;
  installed = true;
  const level = (process.env.TESSERA_TEMPORAL_LOG_LEVEL ?? 'ERROR') as 'ERROR';
  try {
    // No shutdownSignals: Tessera's commands handle SIGINT/SIGTERM themselves. With the SDK's default the
    // first Ctrl-C stopped every worker at once, so a run whose only worker was the CLI could never
    // finish its cancellation, and the command's own shutdown then failed with "Not running".
    // Core (Rust) logs are forwarded into the same logger at the same level: by default the SDK prints
    // them straight to the console from WARN up, whatever the logger's level, which broke into the
    // CLI's progress display and the dev console.
    Runtime.install({
      logger: new DefaultLogger(level),
      shutdownSignals: [],
      telemetryOptions: { logging: { forward: {}, filter: { core: level, other: level } } },
    });
  } catch {
    // Already installed by the embedding application; keep its settings.
  }
}
