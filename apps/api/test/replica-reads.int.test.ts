import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PrivateReplicatedRedis } from '@trainyard/test-support/redis-server';
import { ReplicaReads } from '../src/reads/replica-reads.js';

/**
 * ReplicaReads against a real primary and a real `--replicaof` replica whose replication the test
 * holds back: which server answers, and what the token given back covers.
 */

let servers: PrivateReplicatedRedis;
let primary: Redis;
let replica: Redis;
let reads: ReplicaReads<{ redis: Redis }>;
/** Which server each routed read was counted as answered by. */
let answers: string[] = [];

beforeAll(async () => {
  servers = await PrivateReplicatedRedis.start();
  // Fail fast, as the API's connections do.
  const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2_000 };
  [primary, replica] = [new Redis(servers.primary.url, options), new Redis(servers.replica.url, options)];
  // The replica's connection fails while the last test has it stopped; ReplicaReads then reads the primary.
  replica.on('error', () => {});
  await Promise.all([ready(primary), ready(replica)]);
  reads = new ReplicaReads({ redis: primary, deps: { redis: primary } }, { redis: replica, deps: { redis: replica } }, (server) => answers.push(server));
});

afterEach(async () => {
  answers = [];
  await servers.catchUp();
});

afterAll(async () => {
  primary?.disconnect();
  replica?.disconnect();
  await servers?.stop();
});

const ready = (redis: Redis) => new Promise((resolve) => (redis.status === 'ready' ? resolve(null) : redis.once('ready', resolve)));

/** Which server a read ran on, by the server's own count of GET calls. */
async function served<T>(read: () => Promise<T>): Promise<{ by: 'primary' | 'replica' | 'both'; result: T }> {
  await servers.resetCounts();
  const result = await read();
  const { primary: onPrimary, replica: onReplica } = await servers.commandCounts();
  const [p, r] = [onPrimary.get('get') ?? 0, onReplica.get('get') ?? 0];
  return { by: p && r ? 'both' : p ? 'primary' : 'replica', result };
}

const getValue = (key: string) => (side: { redis: Redis }) => side.redis.get(key);
const found = (value: string | null) => value !== null;

describe('a replica that is caught up', () => {
  it('answers reads without a token, and with one it has reached, without the primary', async () => {
    const written = await reads.onPrimary(undefined, ({ redis }) => redis.set('caught-up', 'v1'));
    await servers.catchUp();
    const untold = await served(() => reads.read(undefined, getValue('caught-up'), found));
    const told = await served(() => reads.read(written.seen, getValue('caught-up'), found));
    expect([untold.by, untold.result.value, told.by, told.result.value]).toEqual(['replica', 'v1', 'replica', 'v1']);
    expect(answers).toEqual(['replica', 'replica']);
    // The token never goes back: what the client has seen stays covered.
    expect(told.result.seen! >= written.seen!).toBe(true);
  });
});

describe('a replica that lags', () => {
  it('leaves a key it does not have yet to the primary', async () => {
    await servers.lag();
    await primary.set('new-key', 'fresh');
    const { by, result } = await served(() => reads.read(undefined, getValue('new-key'), found));
    expect([by, result.value, answers]).toEqual(['both', 'fresh', ['primary']]);
  });

  it('leaves a read to the primary when the client has seen more than the replica has applied', async () => {
    await primary.set('status', 'RUNNING');
    await servers.catchUp();
    await servers.lag();
    const finished = await reads.onPrimary(undefined, async ({ redis }) => {
      await redis.set('status', 'SUCCESS');
      return redis.get('status');
    });
    // Without the token the lagging replica still says RUNNING: that is what the token is for.
    expect((await reads.read(undefined, getValue('status'))).value).toBe('RUNNING');
    const { by, result } = await served(() => reads.read(finished.seen, getValue('status')));
    expect([finished.value, by, result.value]).toEqual(['SUCCESS', 'both', 'SUCCESS']);
  });

  it('gives a token that a replica behind what was read does not pass', async () => {
    await servers.lag();
    await primary.set('later', 'x');
    const fromReplica = await reads.read(undefined, getValue('status'));
    const fromPrimary = await reads.read(undefined, getValue('later'), found);
    expect(fromPrimary.seen! > fromReplica.seen!).toBe(true);
    // The replica still lags: a read with the primary's token cannot be its.
    expect((await served(() => reads.read(fromPrimary.seen, getValue('status')))).by).toBe('both');
  });
});

describe('a replica that is gone', () => {
  it('leaves every read to the primary', async () => {
    await primary.set('while-down', 'still-read');
    await servers.catchUp();
    await servers.replica.stop();
    try {
      expect((await reads.read(undefined, getValue('while-down'))).value).toBe('still-read');
    } finally {
      await servers.replica.restart();
      await ready(replica);
    }
  });
});
