import { UnrecoverableError, Worker } from 'bullmq';
import { parseJob, type JobNameOf, type QueueData } from '@trainyard/shared/jobs';
import type { Logger, RedisClient } from '@trainyard/shared/platform';
import { isRetryable, taskErrorOf } from '../tasks/errors.js';
import type { ChunkCounts } from './chunk-ledger.js';
import { scoreChunk, type ChunkDeps } from './score-chunk.js';

export interface ChunkWorkerOptions {
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  log: Logger;
}

/**
 * The batch-chunks queue's worker. A chunk is no task of its own: an error another attempt may
 * cure is retried (the queue's attempts), and a chunk that gives up records why in the ledger,
 * where its batch finds it. A chunk whose worker died is taken over by another worker, as tasks are.
 */
export function createChunkWorker(deps: ChunkDeps, options: ChunkWorkerOptions): Worker<QueueData<'batch-chunks'>, ChunkCounts, JobNameOf<'batch-chunks'>> {
  const worker = new Worker<QueueData<'batch-chunks'>, ChunkCounts, JobNameOf<'batch-chunks'>>(
    'batch-chunks',
    async (job) => {
      const { data } = parseJob('batch-chunks', job);
      try {
        return await scoreChunk(data, deps);
      } catch (error) {
        const last = !isRetryable(error) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        if (!last) throw error;
        await deps.ledger.fail(data.task_id, data.index, taskErrorOf(error));
        throw new UnrecoverableError(taskErrorOf(error).message);
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      // A chunk is seconds of work at most: one whose workers keep dying is tried a few times more.
      maxStalledCount: 5,
    },
  );
  const log = options.log.child({ queue: 'batch-chunks' });
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  worker.on('failed', (job, error) => log.warn({ jobId: job?.id, err: error.message }, 'chunk attempt failed'));
  return worker;
}
