import { Redis } from 'ioredis';
import { afterAll, afterEach, expect, it } from 'vitest';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { TaskBacklog } from '../src/jobs/backlog.js';
import { newTaskId, type TaskType } from '../src/tasks/ids.js';

// The tenant quota counts a tenant's unfinished tasks of every queue, whichever queue a task joins.

const prefix = testPrefix('backlog-quota');
const redis = new Redis(redisUrl);
const backlog = new TaskBacklog(redis, prefix, { retentionSeconds: 3_600, retentionCount: 100 });
const quota = 3;

afterEach(async () => {
  await deletePrefix(prefix);
});

afterAll(() => {
  redis.disconnect();
});

/** Admits one task of `type` for the tenant; answers its id, or null when refused at the quota. */
async function admit(tenant: string, type: TaskType): Promise<string | null> {
  const id = newTaskId(type);
  return (await backlog.admit(tenant, type, id, quota, Date.now())) === null ? null : id;
}

it('counts the tenant’s tasks on the other queues, and frees the quota as they finish', async () => {
  const trainings = [await admit('acme', 'train'), await admit('acme', 'train')];
  expect(trainings).not.toContain(null);
  // The third task is a prediction: the two trainings count against it.
  expect(await admit('acme', 'predict')).not.toBeNull();
  expect(await admit('acme', 'predict')).toBeNull();
  expect(await admit('acme', 'batch')).toBeNull();
  // Another tenant is not counted.
  expect(await admit('globex', 'predict')).not.toBeNull();
  await backlog.finished('acme', 'train', trainings[0]!);
  expect(await admit('acme', 'predict')).not.toBeNull();
  expect(await admit('acme', 'predict')).toBeNull();
});

it('answers how many of the tenant’s tasks on the same queue are ahead, whatever waits on the others', async () => {
  await admit('acme', 'batch');
  const ahead = await backlog.admit('acme', 'predict', newTaskId('predict'), quota, Date.now());
  expect(ahead).toBe(0);
  expect(await backlog.admit('acme', 'predict', newTaskId('predict'), quota, Date.now())).toBe(1);
});
