import { describe, expect, it } from 'vitest';
import { cacheEvictionVerdict, queueEvictionVerdict } from './connection.js';

describe('queueEvictionVerdict', () => {
  it('accepts only noeviction', () => {
    expect(queueEvictionVerdict('noeviction', 'refuse').level).toBe('ok');
  });

  it.each(['allkeys-lru', 'volatile-lru', 'allkeys-random', 'volatile-ttl'])('refuses %s, or only warns when told to', (policy) => {
    const refused = queueEvictionVerdict(policy, 'refuse');
    expect(refused.level).toBe('refuse');
    expect(refused.message).toContain(policy);
    expect(refused.message).toContain('QUEUE_REDIS_EVICTION=warn');
    expect(queueEvictionVerdict(policy, 'warn').level).toBe('warn');
  });

  it('only warns when the policy cannot be read', () => {
    expect(queueEvictionVerdict('unknown', 'refuse').level).toBe('warn');
  });
});

describe('cacheEvictionVerdict', () => {
  it('is content with LRU or LFU over all keys and warns otherwise', () => {
    expect(cacheEvictionVerdict('allkeys-lru').level).toBe('ok');
    expect(cacheEvictionVerdict('allkeys-lfu').level).toBe('ok');
    expect(cacheEvictionVerdict('noeviction').level).toBe('warn');
    expect(cacheEvictionVerdict('volatile-lru').level).toBe('warn');
  });
});
