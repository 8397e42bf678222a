/** Where the queue Redis is: one server (`redis://`, `rediss://`) or a Redis Cluster's seed nodes. */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; username?: string; password?: string; tls: boolean };

const clusterUrl = /^(rediss?)\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)\/?$/;
const hostPort = /^(\[[0-9a-f:.]+\]|[\w.-]+):(\d{1,5})$/i;

/**
 * `redis+cluster://[user:password@]host1:port,host2:port` (or `rediss+cluster://` for TLS) names a
 * cluster by some of its nodes; ioredis finds the others. Anything else is one server's URL.
 * Throws a readable error for a malformed cluster URL.
 */
export function parseRedisUrl(url: string): RedisTarget {
  if (!/^rediss?\+cluster:/.test(url)) return { kind: 'single', url };
  const match = clusterUrl.exec(url);
  if (!match) throw new Error('a cluster URL is redis+cluster://[user:password@]host:port,host:port');
  const [, scheme, username, password, hosts] = match;
  const nodes = hosts!.split(',').map((node) => {
    const parts = hostPort.exec(node.trim());
    const port = Number(parts?.[2]);
    if (!parts || port < 1 || port > 65_535) throw new Error(`"${node}" is not host:port`);
    return { host: parts[1]!.replace(/^\[|\]$/g, ''), port };
  });
  return {
    kind: 'cluster',
    nodes,
    ...(username ? { username: decodeURIComponent(username) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
    tls: scheme === 'rediss',
  };
}

export const isClusterUrl = (url: string): boolean => parseRedisUrl(url).kind === 'cluster';

/**
 * On a cluster a script or MULTI may only touch keys of one hash slot, and BullMQ's scripts touch
 * several keys of a queue; our own scripts mix those with task, tenant and model keys. A prefix that
 * is a hash tag ({trainyard}) puts every key the platform writes in one slot. A prefix with a tag of
 * its own is kept; on a single server the prefix, and so the key layout, stays as it is.
 */
export function slotPrefix(redisUrl: string, prefix: string): string {
  if (!isClusterUrl(redisUrl) || /\{[^}]+\}/.test(prefix)) return prefix;
  return `{${prefix}}`;
}

/** The hash slot Redis Cluster keeps a key in: CRC16 (XMODEM) of its hash tag, or of the whole key, mod 16384. */
export function hashSlot(key: string): number {
  const bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b);
  const close = open < 0 ? -1 : bytes.indexOf(0x7d, open + 1);
  const tagged = close > open + 1 ? bytes.subarray(open + 1, close) : bytes;
  let crc = 0;
  for (const byte of tagged) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16_384;
}

/** Where on the ring of 16384 slots a shard sits, from shard 0's slot: 0, 1/3, 2/3, 1/9, 4/9, 7/9, 2/9, … (base-3 radical inverse). */
function ringOffset(shard: number): number {
  let offset = 0;
  for (let scale = 1 / 3, rest = shard; rest > 0; rest = Math.floor(rest / 3), scale /= 3) offset += (rest % 3) * scale;
  return offset;
}

const shardPrefixes = new Map<string, string>();

/**
 * The key prefix of queue shard `shard` (QUEUE_SHARDS): shard 0's is the prefix itself, so one
 * shard is the layout from before shards. On a single server another shard's is `prefix:s<n>`. A
 * prefix with a hash tag gets another tag per shard, `{tag:s<n>:<salt>}`, the salt being the first
 * that puts it at its place on the ring (shard 1 a third of the slots on from shard 0, shard 2 two
 * thirds, then the ninths between them, …): a cluster whose masters split the slots evenly, as
 * redis-cli --cluster create does, serves shards 0-2 from three masters. A shard's prefix never
 * depends on how many shards there are.
 */
export function shardPrefix(prefix: string, shard: number): string {
  if (shard === 0) return prefix;
  const cacheKey = `${prefix}\0${shard}`;
  let found = shardPrefixes.get(cacheKey);
  if (found) return found;
  const tag = /\{([^}]+)\}/.exec(prefix);
  if (!tag) {
    found = `${prefix}:s${shard}`;
  } else {
    const target = (hashSlot(tag[0]) + Math.round(16_384 * ringOffset(shard))) % 16_384;
    let salt = 0;
    while (hashSlot(`{${tag[1]}:s${shard}:${salt}}`) !== target) salt++;
    found = prefix.replace(tag[0], `{${tag[1]}:s${shard}:${salt}}`);
  }
  shardPrefixes.set(cacheKey, found);
  return found;
}
