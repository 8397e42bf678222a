import type { Logger } from '@trainyard/shared/platform';
import type { ModelCacheStats } from './model-cache.js';

/** Logs the model cache's hit/miss counts and size every interval, when they changed. */
export function logModelCacheStats(stats: () => ModelCacheStats, log: Logger, intervalMs: number): () => void {
  let last = '';
  const timer = setInterval(() => {
    const now = stats();
    const seen = JSON.stringify(now);
    if (seen === last) return;
    last = seen;
    log.info({ modelCache: now }, 'model cache');
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
