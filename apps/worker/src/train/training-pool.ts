import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { TrainJobData } from '@trainyard/shared/jobs';
import { AppError } from '@trainyard/shared/platform';
import type { StorageSettings, TrainingMessage, TrainingOutcome, TrainingReply, TrainingStop, TrainingTask } from './training-task.js';

/**
 * Threads that load TensorFlow.js: about 90 MB each, and about a second to start. An idle one exits
 * after idleMs, so a worker gives that memory back soon after a burst of trainings while trainings
 * in a row keep their thread.
 */
const idleMs = 10_000;

export class TrainingPool {
  private readonly pool: Piscina<TrainingTask, TrainingReply>;

  constructor(
    threads: number,
    private readonly storage: StorageSettings,
    /** How long a stopped training may take to reach its next batch before its thread is terminated. */
    private readonly stopGraceMs: number,
  ) {
    this.pool = new Piscina({
      filename: new URL('./train.thread.js', import.meta.url).href,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: idleMs,
    });
  }

  /**
   * Trains in a pool thread. When the signal aborts, the thread is asked to stop at its next batch;
   * one that has not stopped within the grace period is terminated. Either way this rejects.
   */
  async train(job: TrainJobData, onMessage: (message: TrainingMessage) => void, signal: AbortSignal): Promise<TrainingOutcome> {
    signal.throwIfAborted();
    const { port1, port2 } = new MessageChannel();
    port1.on('message', onMessage);
    const terminate = new AbortController();
    let grace: NodeJS.Timeout | undefined;
    const stop = () => {
      port1.postMessage({ type: 'stop' } satisfies TrainingStop);
      grace = setTimeout(() => terminate.abort(), this.stopGraceMs);
    };
    signal.addEventListener('abort', stop, { once: true });
    try {
      const task = { job, storage: this.storage, port: port2 };
      const reply = await this.pool.run(task, { transferList: [port2], signal: terminate.signal });
      if (!reply.ok) throw new AppError(reply.error.code, reply.error.message);
      return reply.outcome;
    } finally {
      signal.removeEventListener('abort', stop);
      clearTimeout(grace);
      port1.close();
    }
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
