import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { JobQueues, parseJob, queueNames } from '../src/jobs/catalog.js';

const prefix = testPrefix('catalog');
const redis = new Redis(redisUrl);
const retry = { attempts: 2, backoffMs: 10, retentionSeconds: 60, retentionCount: 10 };
const queues = new JobQueues(redis, prefix, { predict: retry, notify: retry }, () => {});

afterAll(async () => {
  await queues.close();
  await deletePrefix(prefix);
  redis.disconnect();
});

const predictData = { model: 'iris', version: 1, inputs: [[5.1, 3.5, 1.4, 0.2]], output: 'prediction' as const };

describe('the job catalog', () => {
  it('names every queue a job goes to', () => {
    expect([...queueNames].sort()).toEqual(['batch', 'batch-chunks', 'notify', 'predict', 'train']);
  });

  it('parses data before it is queued: a malformed job never reaches Redis', async () => {
    await expect(queues.add('model.predict', { ...predictData, version: 0 })).rejects.toThrow(/version/);
    expect(await queues.get('predict').count()).toBe(0);
  });

  it('queues the parsed data, defaults applied, with the queue’s retries', async () => {
    const job = await queues.add('model.predict', predictData, { jobId: 'predict-catalog-1' });
    const stored = await queues.get('predict').getJob(job.id!);
    expect(stored?.data).toEqual({ ...predictData, deadline: {} });
    expect(stored?.opts.attempts).toBe(2);
  });

  it('refuses, for good, a job the consuming queue does not know or whose data does not parse', () => {
    expect(() => parseJob('predict', { name: 'model.train', data: {} })).toThrow(UnrecoverableError);
    expect(() => parseJob('predict', { name: 'toString', data: {} })).toThrow(UnrecoverableError);
    expect(() => parseJob('predict', { name: 'model.predict', data: { ...predictData, inputs: 'rows' } })).toThrow(/inputs/);
    const parsed = parseJob('notify', {
      name: 'webhook.send',
      data: { channel: 'webhook', to: 'https://example.com/hook', event: 'succeeded', task: { task_id: 'predict-1' } },
    });
    expect(parsed.name).toBe('webhook.send');
    expect(parsed.data.channel).toBe('webhook');
  });
});
