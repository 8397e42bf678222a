import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Every test run gets its own key prefix on the shared Redis, so runs never see each other's jobs. */
export function testPrefix(label = 'test'): string {
  return `ty-${label}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key a run wrote under its prefix. */
export async function deletePrefix(prefix: string, url = redisUrl): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
