import { z } from 'zod';
import { commaList } from '../platform/env.js';

export const metricsEnv = z.object({
  /** GET /metrics (Prometheus text format) on this port, apart from the public one; unset: not served. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /**
   * The metrics listener's address. Loopback by default: metrics carry no secrets but no
   * authentication either. In Compose or Kubernetes set 0.0.0.0, on a private network only.
   */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Model names that may appear as a metric label; every other model counts as "other", so labels stay few. */
  METRICS_MODEL_LABELS: commaList,
});

export type MetricsConfig = z.output<typeof metricsEnv>;
