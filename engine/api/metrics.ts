/** Prometheus metrics (prom-client) on a registry of the app's own, so two apps in one process don't clash. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    runsStarted: new Counter({ name: 'tessera_runs_started_total', help: 'Runs started, by trigger.', labelNames: ['trigger'], registers: [registry] }),
    runsFinished: new Counter({ name: 'tessera_runs_finished_total', help: 'Runs finished, by status.', labelNames: ['status'], registers: [registry] }),
    nodeDuration: new Histogram({
      name: 'tessera_node_duration_seconds',
      help: 'Node durations, by node type and status.',
      labelNames: ['type', 'status'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers: [registry],
    }),
    providerCalls: new Counter({ name: 'tessera_provider_calls_total', help: 'Provider calls, by provider and model.', labelNames: ['provider', 'model'], registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
