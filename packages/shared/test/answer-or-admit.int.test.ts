import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { PredictionCache } from '../src/cache/predictions.js';
import { AnswerOrAdmit } from '../src/jobs/answer-or-admit.js';
import { TaskBacklog } from '../src/jobs/backlog.js';
import { TaskIndex } from '../src/jobs/task-index.js';

/** A predict request's cache lookup and its task's admission, as the one command they are. */

const prefix = testPrefix('answer-or-admit');
const redis = new Redis(redisUrl);
const cache = new PredictionCache(redis, prefix, 60);
const backlog = new TaskBacklog(redis, prefix, { retentionSeconds: 60, retentionCount: 100 });
const index = new TaskIndex(redis, prefix);
const answerOrAdmit = new AnswerOrAdmit(redis);

afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

const keep = (taskId: string) => ({ key: `${prefix}:kept:${taskId}`, fields: { tenant: 'default', status: 'SUCCESS' }, ttlSeconds: 60 });
const admission = (taskId: string, quota = 10) => backlog.admission('default', 'predict', taskId, quota, Date.now());
const backlogOf = () => redis.zrange(`${prefix}:backlog:predict`, 0, -1);

describe('AnswerOrAdmit', () => {
  it('answers a batch whose every row is cached and keeps it, admitting nothing', async () => {
    const rows = cache.keysFor('iris', 1, [[1], [2]]);
    await cache.store(rows, [{ label: 'a' }, { label: 'b' }]);
    expect(await answerOrAdmit.run(rows, keep('t-hit'), await admission('t-hit'))).toEqual({ answers: '[{"label":"a"},{"label":"b"}]' });
    expect(await redis.hgetall(`${prefix}:kept:t-hit`)).toEqual({ tenant: 'default', status: 'SUCCESS', answers: '[{"label":"a"},{"label":"b"}]' });
    expect(await redis.ttl(`${prefix}:kept:t-hit`)).toBeGreaterThan(50);
    expect(await backlogOf()).toEqual([]);
  });

  it('admits the task of a batch with a row not cached, with its place and in the task index, keeping nothing', async () => {
    const rows = cache.keysFor('iris', 1, [[1], [3]]);
    expect(await answerOrAdmit.run(rows, keep('t-miss-1'), await admission('t-miss-1'))).toEqual({ ahead: 0 });
    expect(await answerOrAdmit.run(rows, keep('t-miss-2'), await admission('t-miss-2'))).toEqual({ ahead: 1 });
    expect(await backlogOf()).toEqual(['t-miss-1', 't-miss-2']);
    expect(await redis.zrange(index.key('default'), 0, -1)).toEqual(['t-miss-1', 't-miss-2']);
    // The full hit before (within the second) made no admission, so it left the index's upkeep due.
    expect(await redis.pttl(index.key('default'))).toBeGreaterThan(0);
    expect(await redis.exists(`${prefix}:kept:t-miss-1`)).toBe(0);
  });

  it('answers null at the tenant’s quota and counts nothing in, but still answers a full hit', async () => {
    const miss = cache.keysFor('iris', 1, [[4]]);
    expect(await answerOrAdmit.run(miss, keep('t-over'), await admission('t-over', 2))).toEqual({ ahead: null });
    expect(await backlogOf()).toEqual(['t-miss-1', 't-miss-2']);
    const hit = cache.keysFor('iris', 1, [[2]]);
    expect(await answerOrAdmit.run(hit, keep('t-hit-2'), await admission('t-hit-2', 2))).toEqual({ answers: '[{"label":"b"}]' });
  });
});
