import { Worker, type Job, type Processor, type WorkerOptions } from 'bullmq';
import type { Slots } from './slots.js';

/**
 * A BullMQ worker whose every job holds one of slots shared with the process's other workers of the
 * queue (one per shard), so that together they hold at most the slots' limit: the slot is taken
 * before the job is moved to active and given back once the job is moved out of it. The bound is
 * never exceeded, not even by two shards' workers fetching at the same moment (each has its slot
 * before it asks Redis), so a job this process holds never waits for a pool thread.
 *
 * Not pause()/resume(): a worker paused while blocked waiting for its queue's marker (up to
 * drainDelay) still moves the job that wakes it to active, and pause() stops the stalled checker.
 * Here a worker that finds every slot held waits for one before it moves a job, so the job stays
 * in wait, where another replica can take it (one whose wake-up this worker consumed finds it at its
 * next drainDelay); and it never takes the next job in the same round trip as it finishes one
 * (BullMQ's fetch in moveToFinished), which would come without a slot: each job is fetched on its
 * own, one round trip more per job. It overrides two of BullMQ 6's Worker methods (moveToActive,
 * processJob with its fetch-next callback): train-slots.int.test.ts fails if an upgrade changes them.
 */
export class SlottedWorker<DataType, ResultType, NameType extends string> extends Worker<DataType, ResultType, NameType> {
  /** Aborted on close: a wait for a slot ends with no job. */
  private readonly leaving = new AbortController();

  constructor(
    name: string,
    processor: Processor<DataType, ResultType, NameType>,
    opts: WorkerOptions,
    private readonly slots: Slots,
  ) {
    // Started here, as BullMQ's autorun would, once the slots are set.
    super(name, processor, { ...opts, autorun: false });
    this.run().catch((error: unknown) => this.emit('error', error as Error));
  }

  protected override async moveToActive(token: string, name?: string): Promise<Job<DataType, ResultType, NameType>> {
    // BullMQ's own answer for "no job", though typed as a job.
    const none = undefined as unknown as Job<DataType, ResultType, NameType>;
    if (!(await this.slots.take(this.leaving.signal))) return none;
    try {
      const job = await super.moveToActive(token, name);
      if (!job) this.slots.release();
      return job;
    } catch (error) {
      this.slots.release();
      throw error;
    }
  }

  override async processJob(job: Job<DataType, ResultType, NameType>, token: string): Promise<void | Job<DataType, ResultType, NameType>> {
    try {
      return await super.processJob(job, token, () => false);
    } finally {
      this.slots.release();
    }
  }

  override close(force?: boolean): Promise<void> {
    this.leaving.abort();
    return super.close(force);
  }
}
