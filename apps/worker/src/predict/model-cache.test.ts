import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { LoadedModel } from '@trainyard/ml/predict';
import { ModelCache } from './model-cache.js';

/** A stand-in for a loaded tfjs model: only its size and disposal matter to the cache. */
function fakeModel(name: string, sizeBytes: number, disposed: string[]): LoadedModel {
  return { sizeBytes, dispose: () => disposed.push(name) } as unknown as LoadedModel;
}

describe('ModelCache', () => {
  it('loads a new version once however many predictions ask for it at the same time', async () => {
    const loads: string[] = [];
    const cache = new ModelCache(1_000, async (model, version) => {
      loads.push(`${model}@${version}`);
      await sleep(20);
      return fakeModel(`${model}@${version}`, 100, []);
    });
    const loaded = await Promise.all(Array.from({ length: 25 }, () => cache.get('iris', 3)));
    expect(loads).toEqual(['iris@3']);
    expect(new Set(loaded).size).toBe(1);
    await cache.get('iris', 3);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, models: 1, bytes: 100 });
  });

  it('evicts the least recently used model past its byte budget and frees it', async () => {
    const disposed: string[] = [];
    let evictions = 0;
    const cache = new ModelCache(250, async (model, version) => fakeModel(`${model}@${version}`, 100, disposed), () => evictions++);
    await cache.get('a', 1);
    await cache.get('b', 1);
    await cache.get('a', 1);
    await cache.get('c', 1);
    expect(disposed).toEqual(['b@1']);
    expect(evictions).toBe(1);
    expect(cache.stats()).toMatchObject({ models: 2, bytes: 200, misses: 3, hits: 1 });
  });

  it('tries again after a failed load instead of remembering the failure', async () => {
    let attempts = 0;
    const cache = new ModelCache(1_000, async () => {
      if (++attempts === 1) throw new Error('storage hiccup');
      return fakeModel('m', 10, []);
    });
    await expect(cache.get('m', 1)).rejects.toThrow('storage hiccup');
    await expect(cache.get('m', 1)).resolves.toBeDefined();
    expect(attempts).toBe(2);
  });
});
