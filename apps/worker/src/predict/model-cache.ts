import { LRUCache } from 'lru-cache';
import type { LoadedModel } from '@trainyard/ml/predict';

export interface ModelCacheStats {
  hits: number;
  misses: number;
  models: number;
  bytes: number;
}

/**
 * Loaded models, bounded by their weight bytes. Concurrent requests for a model that is not loaded
 * yet share one load; an evicted model frees its tensors.
 */
export class ModelCache {
  private readonly cache: LRUCache<string, LoadedModel>;
  private hits = 0;
  private misses = 0;

  constructor(
    maxBytes: number,
    load: (model: string, version: number) => Promise<LoadedModel>,
    /** Told when a model leaves to make room for another (the metrics). */
    onEvict: () => void = () => {},
  ) {
    this.cache = new LRUCache<string, LoadedModel>({
      maxSize: maxBytes,
      sizeCalculation: (loaded) => Math.max(1, loaded.sizeBytes),
      dispose: (loaded, _key, reason) => {
        loaded.dispose();
        if (reason === 'evict') onEvict();
      },
      fetchMethod: async (key) => {
        this.misses++;
        const [model, version] = key.split('@') as [string, string];
        return load(model, Number(version));
      },
    });
  }

  async get(model: string, version: number): Promise<LoadedModel> {
    const key = `${model}@${version}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.hits++;
      return cached;
    }
    const loaded = await this.cache.fetch(key);
    if (!loaded) throw new Error(`model ${key} could not be loaded`);
    return loaded;
  }

  stats(): ModelCacheStats {
    return { hits: this.hits, misses: this.misses, models: this.cache.size, bytes: this.cache.calculatedSize };
  }
}
