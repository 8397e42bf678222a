/**
 * node bench/dist/cache.js (after npm run build and tsc -p bench): the caching figures of
 * docs/caching.md, in one run.
 *   1. Semantic cache lookup cost at 10,000 cached texts: the scan alone, a warm lookup (one Redis
 *      round trip to pick up other workers' additions, then the scan), and a cold process's first lookup.
 *   2. POST /v1/predict over HTTP, side by side: a cache hit (200 at once) and a miss (a new row,
 *      answered through the queue and a worker, in one exchange thanks to `Prefer: wait`).
 * Every process it starts is stopped and every Redis key it wrote is deleted.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { nearestIn, SemanticIndex, unit } from '@trainyard/shared/cache';
import { predictBody, settings, trainBody } from './settings.js';
import { PrivateRedis } from './support/private-redis.js';
import { deletePrefix, uniquePrefix } from './support/redis-keys.js';
import { median, percentile } from './support/stats.js';
import { measureCacheHits } from './scenarios/cache-hit.js';
import { benchStack, TrainyardStack } from './trainyard/stack.js';
import { awaitSuccess, forEachConcurrently, submitTask } from './trainyard/tasks.js';

const cachedTexts = 10_000;
const dims = [16, 64];
const lookups = 500;
const http = { samples: 300, connections: 16, seconds: 3 };

const ms = (value: number) => `${value.toFixed(3)} ms`;
const randomVector = (dim: number) => Array.from({ length: dim }, () => Math.random() * 2 - 1);

async function timed<T>(work: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

async function semanticLookupCost(redisUrl: string): Promise<string[]> {
  const redis = new Redis(redisUrl);
  const prefix = uniquePrefix('cache-bench');
  const lines: string[] = [];
  try {
    for (const dim of dims) {
      const writer = new SemanticIndex(redis, prefix, 600, cachedTexts);
      for (let start = 0; start < cachedTexts; start += 500) {
        const batch = Array.from({ length: 500 }, (_, i) => ({
          input: `text ${dim}-${start + i}`,
          embedding: randomVector(dim),
          prediction: { label: 'a', probabilities: { a: 1 } },
        }));
        await writer.add('bench', dim, batch);
      }
      const [, cold] = await timed(() => new SemanticIndex(redis, prefix, 600, cachedTexts).nearest('bench', dim, [randomVector(dim)]));
      const warm: number[] = [];
      for (let i = 0; i < lookups; i++) warm.push((await timed(() => writer.nearest('bench', dim, [randomVector(dim)])))[1]);
      // The scan alone, over the same contiguous vectors a mirror holds.
      const vectors = new Float32Array(cachedTexts * dim).map(() => Math.random());
      const entries = Array.from({ length: cachedTexts }, (_, i) => ({ input: String(i), prediction: { value: i } }));
      const scans: number[] = [];
      for (let i = 0; i < lookups; i++) scans.push((await timed(() => nearestIn(vectors, entries, unit(randomVector(dim)))))[1]);
      lines.push(
        `semantic lookup, ${cachedTexts} cached texts × ${dim} dims: scan ${ms(median(scans))} (p99 ${ms(percentile(scans, 99))}), ` +
          `warm lookup ${ms(median(warm))} (p99 ${ms(percentile(warm, 99))}), first lookup of a new process ${ms(cold)}`,
      );
    }
  } finally {
    await deletePrefix(redisUrl, prefix);
    redis.disconnect();
  }
  return lines;
}

async function hitVersusMiss(redisUrl: string): Promise<string[]> {
  const stack = await TrainyardStack.start(benchStack(redisUrl));
  try {
    const model = 'cache-bench';
    await awaitSuccess(stack.client, await submitTask(stack.client, '/v1/train', trainBody(model, 20)), settings.waitTimeoutMs);
    const cached = predictBody(model);
    await awaitSuccess(stack.client, await submitTask(stack.client, '/v1/predict', cached), settings.waitTimeoutMs);

    const hitLatency: number[] = [];
    for (let i = 0; i < http.samples; i++) {
      const [response, took] = await timed(() => stack.client.post('/v1/predict', cached));
      if (response.status !== 200) throw new Error(`a cached prediction answered ${response.status}`);
      hitLatency.push(took);
    }
    const missLatency: number[] = [];
    const wait = { prefer: 'wait=10' };
    for (let i = 0; i < http.samples; i++) {
      const [response, took] = await timed(() => stack.client.post('/v1/predict', predictBody(model), wait));
      if (response.status !== 200) throw new Error(`a new prediction answered ${response.status} within Prefer: wait`);
      missLatency.push(took);
    }

    const hits = await measureCacheHits(stack, { model, redisUrl, ...http, rounds: 3, timeoutMs: settings.waitTimeoutMs });
    const missCount = { answered: 0 };
    const [, missSeconds] = await timed(async () => {
      const deadline = performance.now() + http.seconds * 1000;
      await forEachConcurrently(Array.from({ length: http.connections }), http.connections, async () => {
        while (performance.now() < deadline) {
          const response = await stack.client.post('/v1/predict', predictBody(model), wait);
          if (response.status === 200) missCount.answered++;
        }
      });
    });
    const row = (name: string, latency: number[], perSecond: number) =>
      `${name.padEnd(6)} p50 ${ms(median(latency))}  p99 ${ms(percentile(latency, 99))}  ${Math.round(perSecond)} answers/s at ${http.connections} connections`;
    return [
      'POST /v1/predict, one iris row (hit: 200 from the cache; miss: a new row answered through the queue, Prefer: wait):',
      row('hit', hitLatency, hits.ours.median),
      row('miss', missLatency, missCount.answered / (missSeconds / 1000)),
      `cache hit vs plain Express answering the same body from memory (median of 3 paired rounds): ${Math.round(hits.ours.median)} vs ${Math.round(hits.plain.median)} answers/s = ${hits.ratio.median.toFixed(2)}× (target ≥ 0.9×)`,
      `cache hit vs the floor, plain Express keeping each answer in Redis in one command first: ${Math.round(hits.ours.median)} vs ${Math.round(hits.floor.median)} answers/s = ${hits.floorRatio.median.toFixed(2)}×`,
    ];
  } finally {
    await stack.stop();
  }
}

// Its own redis-server, like npm run bench: the shared Redis is nobody's to load.
const server = await PrivateRedis.start(settings.waitTimeoutMs);
try {
  const lines = [...(await semanticLookupCost(server.url)), ...(await hitVersusMiss(server.url))];
  console.log(lines.join('\n'));
} finally {
  await server.stop();
}
