import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A process's metrics: the platform's own plus Node's defaults (CPU, memory, event-loop lag, GC),
 * every series labelled with the service that reports it.
 */
export function createMetricsRegistry(service: 'api' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** The model label: the model's name when the allow-list (METRICS_MODEL_LABELS) names it, else "other". */
export function modelLabeller(allowList: readonly string[]): (model: string) => string {
  const allowed = new Set(allowList);
  return (model) => (allowed.has(model) ? model : 'other');
}

/** Where a cached answer can come from: exact rows, similar texts, or text embeddings. */
export type CacheTier = 'exact' | 'semantic' | 'embedding';
