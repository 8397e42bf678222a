import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { TrainJobData } from '@trainyard/shared/jobs';
import { AppError } from '@trainyard/shared/platform';
import type { Tracing } from '@trainyard/shared/tracing';
import type { StorageSettings, TrainingMessage, TrainingOutcome, TrainingReply, TrainingStop, TrainingTask } from './training-task.js';

/**
 * Training threads in two pools. Linear models (closed form, L-BFGS) train in milliseconds, so a
 * thread's start-up would dominate: one solver thread is started with the worker and kept, and it
 * never loads TensorFlow.js. Networks train in threads that load TensorFlow.js (about 90 MB each,
 * about a second to start); an idle one exits after idleMs, so a worker gives that memory back soon
 * after a burst of trainings while trainings in a row keep their thread. BullMQ's concurrency
 * bounds the trainings at once, and with several queue shards the train slots shared by their
 * workers (tasks/slots.ts).
 */
const idleMs = 10_000;

export class TrainingPool {
  private readonly solvers: Piscina<TrainingTask, TrainingReply>;
  private readonly networks: Piscina<TrainingTask, TrainingReply>;

  constructor(
    threads: number,
    private readonly storage: StorageSettings,
    /** How long a stopped training may take to reach its next batch before its thread is terminated. */
    private readonly stopGraceMs: number,
    /** A network's training saves a checkpoint at most this often; 0: never. */
    private readonly checkpointIntervalMs: number,
    /** When tracing, each training's thread continues the trace of the attempt that started it. */
    private readonly traceTo?: { endpoint: string; tracing: Tracing },
  ) {
    const filename = new URL('./train.thread.js', import.meta.url).href;
    this.solvers = new Piscina({ filename, minThreads: 1, maxThreads: threads, idleTimeout: idleMs });
    this.networks = new Piscina({ filename, minThreads: 0, maxThreads: threads, idleTimeout: idleMs });
  }

  /**
   * Trains in a pool thread. When the signal aborts, the thread is asked to stop at its next batch;
   * one that has not stopped within the grace period is terminated. Either way this rejects.
   */
  async train(taskId: string, job: TrainJobData, onMessage: (message: TrainingMessage) => void, signal: AbortSignal): Promise<TrainingOutcome> {
    signal.throwIfAborted();
    const { port1, port2 } = new MessageChannel();
    port1.on('message', onMessage);
    const terminate = new AbortController();
    let grace: NodeJS.Timeout | undefined;
    const stop = () => {
      // No grace at all: terminated at once, not raced against a stop at the next batch.
      if (this.stopGraceMs === 0) return terminate.abort();
      port1.postMessage({ type: 'stop' } satisfies TrainingStop);
      grace = setTimeout(() => terminate.abort(), this.stopGraceMs);
    };
    signal.addEventListener('abort', stop, { once: true });
    try {
      const carrier = this.traceTo?.tracing.carrier();
      const trace = carrier && { endpoint: this.traceTo!.endpoint, carrier };
      const task: TrainingTask = { taskId, job, storage: this.storage, checkpointIntervalMs: this.checkpointIntervalMs, port: port2, ...(trace ? { trace } : {}) };
      const pool = job.algorithm === 'mlp' ? this.networks : this.solvers;
      const reply = await pool.run(task, { transferList: [port2], signal: terminate.signal });
      if (!reply.ok) throw new AppError(reply.error.code, reply.error.message);
      return reply.outcome;
    } finally {
      signal.removeEventListener('abort', stop);
      clearTimeout(grace);
      port1.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.solvers.destroy(), this.networks.destroy()]);
  }
}
