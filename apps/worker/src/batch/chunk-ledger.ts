import type { TaskError } from '@trainyard/shared/tasks';
import type { RedisClient } from '@trainyard/shared/platform';

/** What one chunk came to: rows scored and rows refused. */
export interface ChunkCounts {
  completed: number;
  failed: number;
}

/** A chunk done, and the worker process that did it ("hostname:pid"). */
export interface ChunkDone extends ChunkCounts {
  worker: string;
}

/** A batch's chunks as the ledger knows them. */
export interface BatchLedger {
  done: Map<number, ChunkDone>;
  /** Chunks that gave up after their last attempt, and why. */
  failed: Map<number, TaskError>;
  /** The batch stopped (cancelled, timed out): no chunk should be scored any more. */
  stopped: boolean;
}

/**
 * Where the chunks of a batch record what they came to, shared by every worker: a hash per batch
 * task (`{prefix}:task:{id}:chunks`), kept for the task's retention. Recording a chunk twice (a
 * chunk run again after its worker died) records the same counts again: each chunk counts once.
 */
export class ChunkLedger {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {}

  key(taskId: string): string {
    return `${this.prefix}:task:${taskId}:chunks`;
  }

  async done(taskId: string, index: number, done: ChunkDone): Promise<void> {
    await this.write(taskId, { [`done:${index}`]: `${done.completed},${done.failed},${done.worker}` });
  }

  async fail(taskId: string, index: number, error: TaskError): Promise<void> {
    await this.write(taskId, { [`failed:${index}`]: JSON.stringify(error) });
  }

  /** Lets a chunk be tried again: a batch run again retries the chunks that gave up. */
  async forgetFailure(taskId: string, index: number): Promise<void> {
    await this.redis.hdel(this.key(taskId), `failed:${index}`);
  }

  async stop(taskId: string): Promise<void> {
    await this.write(taskId, { stopped: '1' });
  }

  async isStopped(taskId: string): Promise<boolean> {
    return (await this.redis.hexists(this.key(taskId), 'stopped')) === 1;
  }

  async read(taskId: string): Promise<BatchLedger> {
    const fields = await this.redis.hgetall(this.key(taskId));
    const ledger: BatchLedger = { done: new Map(), failed: new Map(), stopped: 'stopped' in fields };
    for (const [field, value] of Object.entries(fields)) {
      const [kind, index] = field.split(':');
      if (kind === 'done') {
        const [completed, failed, worker] = value.split(',');
        ledger.done.set(Number(index), { completed: Number(completed), failed: Number(failed), worker: worker! });
      } else if (kind === 'failed') {
        ledger.failed.set(Number(index), JSON.parse(value) as TaskError);
      }
    }
    return ledger;
  }

  private async write(taskId: string, fields: Record<string, string>): Promise<void> {
    await this.redis.multi().hset(this.key(taskId), fields).expire(this.key(taskId), this.retentionSeconds).exec();
  }
}
