import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import { CompletionCounter } from '../support/completions.js';
import type { DrainMeter } from '../support/drain-meter.js';
import { NodeProcess } from '../support/processes.js';
import { deletePrefix } from '../support/redis-keys.js';
import { waitFor } from '../support/wait.js';

/** An addBulk entry, as a drain queues them. */
export interface BulkJob {
  name: string;
  data: unknown;
  opts?: JobsOptions;
}

/** What a predict job carries, so the ceiling moves the same bytes through Redis. */
const jobData = { model: 'iris', version: 1, inputs: [[5.1, 3.5, 1.4, 0.2]] };
/** Plain jobs: no options, BullMQ's own ids. */
const plainJobs = (count: number): BulkJob[] => Array.from({ length: count }, () => ({ name: 'predict', data: jobData }));

/**
 * Ceiling for the worker side: plain BullMQ with a no-op Worker in its own process, driven from
 * the bench process as producer. It shares its prefix with the bare Express server, so that
 * server's jobs are drained by the same no-op worker. Given `drainJobs` (our jobs' options, say),
 * its drains queue those jobs instead of plain ones; with `bookkeeping` its worker writes what our
 * worker's guarantees write per task (see noop-worker.ts).
 */
export class RawBullmq {
  private constructor(
    private readonly redisUrl: string,
    readonly prefix: string,
    private readonly worker: NodeProcess,
    private readonly queue: Queue,
    private readonly drainJobs: (count: number) => BulkJob[],
  ) {}

  static async start(redisUrl: string, prefix: string, concurrency: number, timeoutMs: number, drainJobs = plainJobs, bookkeeping = false): Promise<RawBullmq> {
    const worker = NodeProcess.start({
      label: bookkeeping ? 'bookkeeping BullMQ worker' : 'no-op BullMQ worker',
      script: fileURLToPath(new URL('./noop-worker.js', import.meta.url)),
      env: { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, CONCURRENCY: String(concurrency), BOOKKEEPING: bookkeeping ? '1' : '0' },
    });
    const queue = new Queue('predict', { prefix, connection: { url: redisUrl } });
    const raw = new RawBullmq(redisUrl, prefix, worker, queue, drainJobs);
    try {
      await waitFor('the no-op worker to connect', async () => (await queue.getWorkersCount()) > 0, {
        timeoutMs,
        giveUpIf: () => worker.assertRunning(),
      });
    } catch (error) {
      await raw.stop();
      throw error;
    }
    return raw;
  }

  /** Jobs per second: `addBulk` of `count` jobs until the worker has completed them all. */
  async throughput(count: number, timeoutMs: number): Promise<number> {
    const counter = await CompletionCounter.open(this.redisUrl, this.prefix, 'predict');
    try {
      const started = performance.now();
      await this.queue.addBulk(plainJobs(count));
      await counter.until(count, timeoutMs);
      return (count * 1000) / (performance.now() - started);
    } finally {
      await counter.close();
    }
  }

  /** One job added, as a producer adding jobs one by one does: a plain one unless given. */
  async addOne(job: BulkJob = { name: 'predict', data: jobData }): Promise<void> {
    await this.queue.add(job.name, job.data, job.opts);
  }

  /** Jobs per second of the no-op worker alone: `count` jobs (see drainJobs) queued while the queue is paused, timed from `resume`. */
  async drainOnly(count: number, timeoutMs: number, meter?: DrainMeter): Promise<number> {
    const counter = await CompletionCounter.open(this.redisUrl, this.prefix, 'predict');
    try {
      await this.queue.pause();
      await this.queue.addBulk(this.drainJobs(count));
      await meter?.started();
      const started = performance.now();
      await this.queue.resume();
      await counter.until(count, timeoutMs);
      const rate = (count * 1000) / (performance.now() - started);
      await meter?.stopped();
      return rate;
    } finally {
      await this.queue.resume();
      await counter.close();
    }
  }

  /** Milliseconds from `queue.add` to the completed event, one job at a time; warm-up samples dropped. */
  async latencies(warmup: number, samples: number): Promise<number[]> {
    const events = new QueueEvents('predict', { prefix: this.prefix, connection: { url: this.redisUrl } });
    await events.waitUntilReady();
    const measured: number[] = [];
    try {
      for (let i = 0; i < warmup + samples; i++) {
        const started = performance.now();
        const job = await this.queue.add('predict', jobData);
        await job.waitUntilFinished(events, 10_000);
        if (i >= warmup) measured.push(performance.now() - started);
      }
    } finally {
      await events.close();
    }
    return measured;
  }

  /** Jobs its queue holds as completed: retention by count trims them once there are as many as it keeps. */
  completedCount(): Promise<number> {
    return this.queue.getCompletedCount();
  }

  /** CPU seconds the no-op worker's process has used so far. */
  workerCpuSeconds(): number {
    return this.worker.cpuSeconds();
  }

  /** Stops draining; the bare server's queue then only fills. */
  stopWorker(): Promise<void> {
    return this.worker.stop();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    await this.queue.close();
    await deletePrefix(this.redisUrl, this.prefix);
  }
}
