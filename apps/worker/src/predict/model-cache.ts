import { LRUCache } from 'lru-cache';
import type { LoadedModel } from '@trainyard/ml/predict';
import { defaultTenant } from '@trainyard/shared/platform';

export interface ModelCacheStats {
  hits: number;
  misses: number;
  models: number;
  bytes: number;
}

interface ModelRef {
  model: string;
  version: number;
  tenant: string;
}

/**
 * Loaded models of every tenant, bounded by their weight bytes. Concurrent requests for a model that
 * is not loaded yet share one load; an evicted model frees its tensors.
 */
export class ModelCache {
  private readonly cache: LRUCache<string, LoadedModel, ModelRef>;
  private hits = 0;
  private misses = 0;

  constructor(
    maxBytes: number,
    load: (model: string, version: number, tenant: string) => Promise<LoadedModel>,
    /** Told when a model leaves to make room for another (the metrics). */
    onEvict: () => void = () => {},
  ) {
    this.cache = new LRUCache<string, LoadedModel, ModelRef>({
      maxSize: maxBytes,
      sizeCalculation: (loaded) => Math.max(1, loaded.sizeBytes),
      dispose: (loaded, _key, reason) => {
        loaded.dispose();
        if (reason === 'evict') onEvict();
      },
      fetchMethod: async (_key, _stale, { context: { model, version, tenant } }) => {
        this.misses++;
        return load(model, version, tenant);
      },
    });
  }

  async get(model: string, version: number, tenant = defaultTenant): Promise<LoadedModel> {
    const key = `${tenant}/${model}@${version}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.hits++;
      return cached;
    }
    const loaded = await this.cache.fetch(key, { context: { model, version, tenant } });
    if (!loaded) throw new Error(`model ${key} could not be loaded`);
    return loaded;
  }

  stats(): ModelCacheStats {
    return { hits: this.hits, misses: this.misses, models: this.cache.size, bytes: this.cache.calculatedSize };
  }
}
