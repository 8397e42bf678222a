/**
 * Ceiling for the submit path: the least an HTTP front of BullMQ can do. Its only route parses JSON
 * and does one queue.add; no validation, no ids, no bookkeeping. Run as its own process.
 *
 * With ADMIT=1 it is the floor of our submit path instead (what admitting a task costs alone): each
 * task is first counted into its tenant's backlog by our own admission command (TaskBacklog.admit:
 * quota, fair place, task index), whose answer sets the job's priority, under an id chosen before,
 * as our API's is.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { fairPriority } from '@trainyard/shared/jobs';
import { defaultTenant } from '@trainyard/shared/platform';
import { serveCeiling } from './ceiling-app.js';
import { ourBacklog } from './our-predict-jobs.js';

const port = Number(process.env.PORT);
const prefix = process.env.QUEUE_PREFIX;
const redisUrl = process.env.REDIS_URL;
if (!port || !prefix || !redisUrl) throw new Error('PORT, QUEUE_PREFIX and REDIS_URL are required');

const queue = new Queue('predict', { prefix, connection: { url: redisUrl } });
if (process.env.ADMIT === '1') {
  // As high as the bench's API's TENANT_MAX_TASKS: nothing is refused.
  const tenantMaxTasks = 1_000_000_000;
  const redis = new Redis(redisUrl);
  const backlog = ourBacklog(redis, prefix);
  serveCeiling(
    port,
    (app) =>
      app.post('/v1/predict', async (req, res) => {
        const taskId = randomUUID();
        const ahead = await backlog.admit(defaultTenant, 'predict', taskId, tenantMaxTasks, Date.now());
        if (ahead === null) throw new Error('no quota can refuse here');
        const job = await queue.add('predict', req.body, { jobId: taskId, priority: fairPriority(ahead) });
        res.status(202).json({ task_id: job.id });
      }),
    async () => {
      await Promise.all([queue.close(), redis.quit()]);
    },
  );
} else {
  serveCeiling(
    port,
    (app) =>
      app.post('/v1/predict', async (req, res) => {
        const job = await queue.add('predict', req.body);
        res.status(202).json({ task_id: job.id });
      }),
    () => queue.close(),
  );
}
