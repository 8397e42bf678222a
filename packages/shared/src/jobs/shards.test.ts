import { describe, expect, it } from 'vitest';
import { chooseShard } from './shards.js';

describe('chooseShard', () => {
  const models = Array.from({ length: 300 }, (_, i) => `model-${i}`);

  it('keeps a model of a tenant on one shard, and spreads models over every shard', () => {
    expect(chooseShard('predict', 3, 'acme', 'iris')).toBe(chooseShard('predict', 3, 'acme', 'iris'));
    expect(chooseShard('train', 3, 'acme', 'iris')).toBe(chooseShard('predict', 3, 'acme', 'iris'));
    const counts = [0, 0, 0];
    for (const model of models) counts[chooseShard('predict', 3, 'acme', model)]!++;
    for (const count of counts) expect(count).toBeGreaterThan(70);
  });

  it('moves only the models a new shard takes when the number grows', () => {
    const moved = models.filter((model) => chooseShard('predict', 3, 'acme', model) !== chooseShard('predict', 4, 'acme', model));
    expect(moved.every((model) => chooseShard('predict', 4, 'acme', model) === 3)).toBe(true);
    expect(moved.length).toBeLessThan(110);
  });

  it('puts batches, and everything with one shard, on shard 0', () => {
    expect(models.map((model) => chooseShard('batch', 3, 'acme', model)).every((shard) => shard === 0)).toBe(true);
    expect(chooseShard('predict', 1, 'acme', 'iris')).toBe(0);
  });
});
