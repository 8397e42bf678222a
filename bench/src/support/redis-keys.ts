import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** A key prefix no other bench run, test or engineer on the shared Redis can collide with. */
export function uniquePrefix(label: string): string {
  return `ty-bench-${label}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key written under `prefix`. */
export async function deletePrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
