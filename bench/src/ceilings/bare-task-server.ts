/**
 * Floor of our idle latency: a bare HTTP front of BullMQ that a client follows as it follows ours.
 * POST /v1/predict does one queue.add (202 with the job's id), or with `Prefer: wait` holds its
 * answer until the job has finished (job.waitUntilFinished on a QueueEvents kept open), then 200
 * SUCCESS; GET /v1/tasks/:id answers the job's state from queue.getJobState (one script, one round
 * trip), completed as SUCCESS. No validation, no ids, no bookkeeping. Run as its own process; a
 * no-op worker on the same prefix runs the jobs.
 */
import { Queue, QueueEvents, type JobState } from 'bullmq';
import { serveCeiling } from './ceiling-app.js';

const port = Number(process.env.PORT);
const prefix = process.env.QUEUE_PREFIX;
const redisUrl = process.env.REDIS_URL;
if (!port || !prefix || !redisUrl) throw new Error('PORT, QUEUE_PREFIX and REDIS_URL are required');

const queue = new Queue('predict', { prefix, connection: { url: redisUrl } });
const events = new QueueEvents('predict', { prefix, connection: { url: redisUrl } });
await events.waitUntilReady();
const waitMs = 10_000;

const statusOf: Partial<Record<JobState | 'unknown', string>> = { completed: 'SUCCESS', failed: 'FAILURE', active: 'STARTED' };

serveCeiling(
  port,
  (app) => {
    app.post('/v1/predict', async (req, res) => {
      const job = await queue.add('predict', req.body);
      if (!req.get('prefer')?.startsWith('wait')) {
        res.status(202).json({ task_id: job.id });
        return;
      }
      await job.waitUntilFinished(events, waitMs);
      res.status(200).json({ task_id: job.id, status: 'SUCCESS' });
    });
    app.get('/v1/tasks/:id', async (req, res) => {
      const state = await queue.getJobState(req.params.id);
      res.json({ task_id: req.params.id, status: statusOf[state] ?? 'PENDING' });
    });
  },
  async () => {
    await Promise.all([queue.close(), events.close()]);
  },
);
