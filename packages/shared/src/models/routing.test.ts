import { describe, expect, it } from 'vitest';
import { seededRandom } from '../platform/seeded-random.js';
import { chooseVersion, primaryVersion } from './routing.js';

const split = { '3': 90, '4': 10 };
const shareOf = (picks: number[], version: number) => picks.filter((picked) => picked === version).length / picks.length;

describe('chooseVersion', () => {
  it('without a routing key, splits 2,000 requests by weight within ±5 %', () => {
    const random = seededRandom(12);
    const picks = Array.from({ length: 2_000 }, () => chooseVersion(split, undefined, random));
    expect(shareOf(picks, 3)).toBeGreaterThan(0.85);
    expect(shareOf(picks, 3)).toBeLessThan(0.95);
    expect(new Set(picks)).toEqual(new Set([3, 4]));
  });

  it('with 2,000 distinct routing keys, splits them by weight within ±5 %', () => {
    const picks = Array.from({ length: 2_000 }, (_, i) => chooseVersion(split, `user-${i}`));
    expect(shareOf(picks, 4)).toBeGreaterThan(0.05);
    expect(shareOf(picks, 4)).toBeLessThan(0.15);
  });

  it('sends a routing key to the same version every time, whatever the draw', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 200; i++) {
      const first = chooseVersion({ '1': 1, '2': 1, '3': 1 }, `key-${i}`, random);
      expect(chooseVersion({ '3': 1, '1': 1, '2': 1 }, `key-${i}`, random)).toBe(first);
    }
  });

  it('moves only the keys it must when a weight changes: raising v4 takes keys from v3, never the other way', () => {
    const keys = Array.from({ length: 2_000 }, (_, i) => `session-${i}`);
    const before = keys.map((key) => chooseVersion({ '3': 90, '4': 10 }, key));
    const after = keys.map((key) => chooseVersion({ '3': 50, '4': 50 }, key));
    const moved = keys.filter((_, i) => before[i] !== after[i]);
    expect(keys.every((_, i) => before[i] !== 4 || after[i] === 4)).toBe(true);
    // About 40 % of the keys have to move, and no more.
    expect(moved.length / keys.length).toBeGreaterThan(0.35);
    expect(moved.length / keys.length).toBeLessThan(0.45);
  });

  it('always answers a version of a one-version split', () => {
    expect(chooseVersion({ '7': 5 })).toBe(7);
    expect(chooseVersion({ '7': 5 }, 'anyone')).toBe(7);
  });
});

describe('primaryVersion', () => {
  it('is the version with the largest weight, the lower number on a tie', () => {
    expect(primaryVersion({ '3': 90, '4': 10 })).toBe(3);
    expect(primaryVersion({ '3': 10, '4': 90 })).toBe(4);
    expect(primaryVersion({ '5': 50, '2': 50 })).toBe(2);
  });
});
