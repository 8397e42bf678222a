import { describe, expect, it } from 'vitest';
import { ExpiryRefresh } from './expiry-refresh.js';

describe('ExpiryRefresh', () => {
  it('gives a key its TTL plus the interval once per interval, and 0 in between', () => {
    const refresh = new ExpiryRefresh(1_000);
    expect(refresh.ttlFor('a', 60_000, 10_000)).toBe(61_000);
    expect(refresh.ttlFor('a', 60_000, 10_999)).toBe(0);
    expect(refresh.ttlFor('b', 60_000, 10_999)).toBe(61_000);
    expect(refresh.ttlFor('a', 60_000, 11_000)).toBe(61_000);
  });

  it('forgets keys past due once it tracks many, and refreshes them again when written', () => {
    const refresh = new ExpiryRefresh(1_000);
    for (let i = 0; i < 10_000; i++) refresh.ttlFor(`task-${i}`, 60_000, 0);
    expect(refresh.ttlFor('next', 60_000, 5_000)).toBe(61_000);
    expect(refresh.ttlFor('task-1', 60_000, 5_000)).toBe(61_000);
    expect(refresh.ttlFor('next', 60_000, 5_001)).toBe(0);
  });
});
