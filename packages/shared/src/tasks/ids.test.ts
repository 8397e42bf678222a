import { describe, expect, it } from 'vitest';
import { newTaskId, taskPrefix, taskShardOf, taskTypeOf } from './ids.js';

describe('task ids', () => {
  it('carry their type and 128 random bits', () => {
    const a = newTaskId('train');
    const b = newTaskId('train');
    expect(a).toMatch(/^train-[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    expect(taskTypeOf(a)).toBe('train');
    expect(taskTypeOf(newTaskId('predict'))).toBe('predict');
  });

  it('never repeat their random part, across refills of the random pool', () => {
    // 1,000 ids draw on four fills of the 4 KiB pool.
    const random = Array.from({ length: 1000 }, () => newTaskId('predict').slice('predict-'.length));
    expect(new Set(random).size).toBe(random.length);
  });

  it('carry their queue shard past the first, and ids without one are shard 0', () => {
    const sharded = newTaskId('predict', 2);
    expect(sharded).toMatch(/^predict-s2-[0-9a-f]{32}$/);
    expect(taskTypeOf(sharded)).toBe('predict');
    expect(taskShardOf(sharded)).toBe(2);
    expect(taskShardOf(newTaskId('train', 63))).toBe(63);
    expect(taskShardOf(newTaskId('train'))).toBe(0);
    expect(taskPrefix('trainyard', sharded)).toBe('trainyard:s2');
    expect(taskPrefix('{trainyard}', newTaskId('predict'))).toBe('{trainyard}');
  });

  it('reject anything else', () => {
    for (const id of ['1', 'train-', 'train-xyz', 'other-' + '0'.repeat(32), `train-${'0'.repeat(32)}/..`, `train-s0-${'0'.repeat(32)}`, `train-s-${'0'.repeat(32)}`, `train-s64-${'0'.repeat(32)}`]) {
      expect(taskTypeOf(id)).toBeNull();
    }
  });
});
