import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { AppError } from '@trainyard/shared/errors';
import type { TrainJobData } from '@trainyard/shared/jobs';
import type { StorageSettings, TrainingMessage, TrainingOutcome, TrainingReply, TrainingTask } from './training-task.js';

/** Threads that load TensorFlow.js; an idle one exits so its memory goes back to the system. */
export class TrainingPool {
  private readonly pool: Piscina<TrainingTask, TrainingReply>;

  constructor(
    threads: number,
    private readonly storage: StorageSettings,
  ) {
    this.pool = new Piscina({
      filename: new URL('./train.thread.js', import.meta.url).href,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }

  async train(job: TrainJobData, onMessage: (message: TrainingMessage) => void): Promise<TrainingOutcome> {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', onMessage);
    try {
      const reply = await this.pool.run({ job, storage: this.storage, port: port2 }, { transferList: [port2] });
      if (!reply.ok) throw new AppError(reply.error.code, reply.error.message);
      return reply.outcome;
    } finally {
      port1.close();
    }
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
