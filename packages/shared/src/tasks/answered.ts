import { taskPrefix } from './ids.js';
import { tenantOf } from '../platform/tenants.js';
import type { TaskResource } from './resource.js';
import type { RedisClient } from '../platform/redis.js';

/** Where an answered task's result holds its answers. */
export type AnswersField = 'predictions' | 'embeddings';

/**
 * Tasks answered at submit time (a prediction whose rows were all cached): never queued, so kept
 * here as the finished task the user was given, for the retention time, and any replica reads the
 * id back like any other. A record is a hash: the task without its answers (`task`), whose it is
 * (`tenant`), the result field the answers go to (`field`), and the answers as one JSON array
 * (`answers`), which the cache lookup writes as it reads them.
 */
export class AnsweredTasks {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    readonly retentionSeconds: number,
  ) {}

  key(taskId: string): string {
    return `${taskPrefix(this.prefix, taskId)}:task:${taskId}:answered`;
  }

  /** The record's fields besides the answers. */
  fields(task: TaskResource, tenant: string, field: AnswersField): Record<string, string> {
    return { task: JSON.stringify(task), tenant, field };
  }

  /** Keeps a record in a command of its own, when the answers were read from another Redis. */
  async keep(task: TaskResource, tenant: string, field: AnswersField, answers: unknown[]): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key(task.task_id), { ...this.fields(task, tenant, field), answers: JSON.stringify(answers) })
      .expire(this.key(task.task_id), this.retentionSeconds)
      .exec();
  }
}

/** The task a record holds and whose it is, or null for an empty (absent) one. */
export function answeredTaskOf(record: Record<string, string>): { task: TaskResource; tenant: string } | null {
  if (!record.task || !record.answers) return null;
  // Records kept before model, version and retries were part of a task have none of them.
  const task = { model: null, version: null, retry_of: null, retried_by: null, ...(JSON.parse(record.task) as object) } as TaskResource;
  const result = { ...(task.result as object), [record.field ?? 'predictions']: JSON.parse(record.answers) } as TaskResource['result'];
  return { task: { ...task, result }, tenant: tenantOf(record) };
}
