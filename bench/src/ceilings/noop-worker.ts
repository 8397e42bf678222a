/**
 * Ceiling for the worker side: a BullMQ Worker whose processor does nothing. Run as its own process.
 *
 * With BOOKKEEPING=1 it is the floor of our worker's guarantees instead (what a predict task's
 * bookkeeping costs alone, with no model and none of our worker's own code around it): each job's
 * processor sends, through our RedisBatch as our worker does, the one guarded command ours sends
 * with a short prediction's outcome (the cancel flag and the deleted-version check; the answer
 * cached, the task out of its tenant's backlog, STARTED and SUCCESS in the task's log and its
 * tenant's feed), then answers a result of our shape.
 */
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { cachedRowsOp, PredictionCache } from '@trainyard/shared/cache';
import { leaveBacklogOp } from '@trainyard/shared/jobs';
import { isDeletedOp } from '@trainyard/shared/models';
import { cacheEnv, keysExistOp, RedisBatch } from '@trainyard/shared/platform';
import { statusEvent, TaskCancellation, TaskEventLog, taskEventOps, taskTagOf } from '@trainyard/shared/tasks';
import { ourBacklog, ourRetries } from './our-predict-jobs.js';

const prefix = process.env.QUEUE_PREFIX;
const redisUrl = process.env.REDIS_URL;
const concurrency = Number(process.env.CONCURRENCY);
if (!prefix || !redisUrl || !concurrency) throw new Error('QUEUE_PREFIX, REDIS_URL and CONCURRENCY are required');

interface PredictData {
  tenant: string;
  model: string;
  version: number;
  inputs: number[][];
}

/** The guarantees' writes of a predict task, with its answer, as our worker makes them. */
function bookkeeping(redis: Redis, prefix: string): (job: Job<PredictData>) => Promise<unknown> {
  const { retentionSeconds } = ourRetries;
  const batch = new RedisBatch(redis, [...taskEventOps, keysExistOp, cachedRowsOp, leaveBacklogOp]);
  const events = new TaskEventLog(redis, prefix, retentionSeconds);
  const cancels = new TaskCancellation(redis, prefix, retentionSeconds);
  const backlog = ourBacklog(redis, prefix);
  const cache = new PredictionCache(redis, prefix, cacheEnv.parse({}).PREDICT_CACHE_TTL);
  return async (job) => {
    const { tenant, model, version, inputs } = job.data;
    const taskId = job.id!;
    const result = { model, version, predictions: inputs.map(() => ({ label: 'setosa', probabilities: { setosa: 0.9947490771028218, versicolor: 0.005250922897178, virginica: 1e-9 } })) };
    const checked = { kind: keysExistOp, keys: [...cancels.requestedOp(taskId).keys, ...isDeletedOp(prefix, tenant, model, version).keys], args: [] };
    const writes = [
      cache.forTenant(tenant).storeOp(cache.keysFor(model, version, inputs), result.predictions),
      backlog.finishedOp(tenant, 'predict', taskId),
      ...events.appendOps(taskId, [statusEvent('STARTED', job.attemptsStarted, 'floor'), statusEvent('SUCCESS', job.attemptsStarted, 'floor')], taskTagOf(taskId, job.data)),
    ];
    const [check] = batch.sendGuarded([checked], writes).checks;
    if ((await check!.done) > 0) throw new Error('cancelled or its version deleted');
    return result;
  };
}

const options = { prefix, concurrency, connection: { url: redisUrl, maxRetriesPerRequest: null } };
let worker: Worker;
if (process.env.BOOKKEEPING === '1') {
  // As ours: the bookkeeping shares the worker's connection, so it goes out ahead of BullMQ's completion.
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  worker = new Worker('predict', bookkeeping(connection, prefix), { ...options, connection });
} else {
  worker = new Worker('predict', async () => null, options);
}
worker.on('error', (error) => console.error(error));

process.once('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
