/**
 * Floor of our idle latency: a bare HTTP front of BullMQ that a client follows as it follows ours.
 * POST /v1/predict does one queue.add (202 with the job's id), or with `Prefer: wait` holds its
 * answer until the job has finished (job.waitUntilFinished on a QueueEvents kept open once opened), then 200
 * SUCCESS; GET /v1/tasks/:id answers the job's state from queue.getJobState (one script, one round
 * trip), completed as SUCCESS. No validation, no ids, no bookkeeping. Run as its own process; a
 * no-op worker on the same prefix runs the jobs.
 *
 * With GUARANTEES=1 it is the floor of our guarantees' latency instead: each POST first admits the
 * task (TaskBacklog.admit, whose answer is the job's fair priority) and adds a job with our options,
 * and every answer is the task resource, read as our API reads it (TaskReader: the job's state,
 * hash and log in one script) once the job has ended; the worker on its prefix is the guarantees
 * floor's (noop-worker.ts with BOOKKEEPING=1).
 */
import { Queue, QueueEvents, type Job, type JobState } from 'bullmq';
import { Redis } from 'ioredis';
import { JobQueues } from '@trainyard/shared/jobs';
import { AnsweredTasks, buildTaskResource, TaskCancellation, TaskEventLog, TaskReader, TaskRetries, taskStatusOf } from '@trainyard/shared/tasks';
import { serveCeiling } from './ceiling-app.js';
import { admitOurPredictJob, ourBacklog, ourRetries } from './our-predict-jobs.js';

const port = Number(process.env.PORT);
const prefix = process.env.QUEUE_PREFIX;
const redisUrl = process.env.REDIS_URL;
if (!port || !prefix || !redisUrl) throw new Error('PORT, QUEUE_PREFIX and REDIS_URL are required');

const queue = new Queue('predict', { prefix, connection: { url: redisUrl } });
// Opened by the first request that waits: a front only submitted to (warm throughput) follows no events.
let events: Promise<QueueEvents> | undefined;
const followEvents = () =>
  (events ??= (async () => {
    const reader = new QueueEvents('predict', { prefix, connection: { url: redisUrl } });
    await reader.waitUntilReady();
    return reader;
  })());
const waitMs = 10_000;

/** How a front queues a task and answers for it. */
interface Front {
  add(body: unknown): Promise<Job>;
  /** The answer for a task, `ended` once its job has ended. */
  answer(taskId: string, ended: boolean): Promise<unknown>;
  close(): Promise<void>;
}

const statusOf: Partial<Record<JobState | 'unknown', string>> = { completed: 'SUCCESS', failed: 'FAILURE', active: 'STARTED' };

const bare: Front = {
  add: (body) => queue.add('predict', body),
  answer: async (taskId, ended) => ({ task_id: taskId, status: ended ? 'SUCCESS' : (statusOf[await queue.getJobState(taskId)] ?? 'PENDING') }),
  close: async () => {},
};

/** Admits as our API does, and answers the task resource. */
function guaranteed(redis: Redis, prefix: string): Front {
  const { retentionSeconds } = ourRetries;
  const backlog = ourBacklog(redis, prefix);
  const queues = new JobQueues(redis, prefix, { predict: ourRetries }, (error) => console.error(error));
  const reader = new TaskReader(
    redis,
    queues,
    new TaskEventLog(redis, prefix, retentionSeconds),
    new TaskCancellation(redis, prefix, retentionSeconds),
    new AnsweredTasks(redis, prefix, retentionSeconds),
    new TaskRetries(redis, prefix, retentionSeconds),
  );
  return {
    async add() {
      const job = await admitOurPredictJob(backlog);
      return queue.add(job.name, job.data, job.opts);
    },
    async answer(taskId) {
      const { job, state, logged } = await reader.read('predict', taskId);
      if (!job) throw new Error(`task ${taskId} has no job`);
      return buildTaskResource(job, { type: 'predict', status: taskStatusOf(job, state, logged), logged });
    },
    close: () => queues.close(),
  };
}

const admissions = process.env.GUARANTEES === '1' ? new Redis(redisUrl) : undefined;
const front = admissions ? guaranteed(admissions, prefix) : bare;

serveCeiling(
  port,
  (app) => {
    app.post('/v1/predict', async (req, res) => {
      const job = await front.add(req.body);
      if (!req.get('prefer')?.startsWith('wait')) {
        res.status(202).json({ task_id: job.id });
        return;
      }
      await job.waitUntilFinished(await followEvents(), waitMs);
      res.status(200).json(await front.answer(job.id!, true));
    });
    app.get('/v1/tasks/:id', async (req, res) => {
      res.json(await front.answer(req.params.id, false));
    });
  },
  async () => {
    await Promise.all([queue.close(), events?.then((reader) => reader.close()), front.close()]);
    await admissions?.quit();
  },
);
