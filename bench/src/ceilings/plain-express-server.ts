/**
 * Ceiling for a cache hit: plain Express 5 that parses the JSON body and answers 200 with a fixed
 * body (the cached answer), touching nothing else. Run as its own process.
 *
 * With REDIS_URL it is the floor of our cache hit instead (what keeping the hit's task costs
 * alone): before answering, each request runs our own lookup-and-keep Lua in one command, which
 * reads the cached row and keeps the answer under a fresh id for the retention, as our API's does.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { lookupAndKeepLua } from '@trainyard/shared/cache';
import { defaultTenant, redisScript, retentionEnv } from '@trainyard/shared/platform';
import { serveCeiling } from './ceiling-app.js';

const port = Number(process.env.PORT);
const answer = process.env.ANSWER;
if (!port || !answer) throw new Error('PORT and ANSWER are required');

const body = JSON.parse(answer) as { result: { predictions: unknown[] } };
const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  const prefix = process.env.QUEUE_PREFIX;
  if (!prefix) throw new Error('QUEUE_PREFIX is required with REDIS_URL');
  const redis = new Redis(redisUrl);
  const rowKey = `${prefix}:row`;
  // The cached row is the answer's prediction; the kept task is the answer (our record's size, give or take the row).
  await redis.set(rowKey, JSON.stringify(body.result.predictions[0]));
  const lookupAndKeep = redisScript(redis, 'benchLookupAndKeep', `${lookupAndKeepLua}\nreturn lookupAndKeep(KEYS[1], {KEYS[2]}, ARGV[1], {unpack(ARGV, 2)})`);
  const { TASK_RETENTION_S: ttl } = retentionEnv.parse({});
  serveCeiling(
    port,
    (app) =>
      app.post('/v1/predict', async (_req, res) => {
        const answers = await lookupAndKeep(2, `${prefix}:kept:${randomUUID()}`, rowKey, ttl, 'task', answer, 'tenant', defaultTenant, 'field', 'predictions');
        if (typeof answers !== 'string') throw new Error('the cached row is gone');
        res.status(200).json(body);
      }),
    async () => {
      await redis.quit();
    },
  );
} else {
  serveCeiling(port, (app) =>
    app.post('/v1/predict', (_req, res) => {
      res.status(200).json(body);
    }),
  );
}
