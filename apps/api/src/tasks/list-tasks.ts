import { z } from 'zod';
import type { IndexPosition, TaskIndex } from '@trainyard/shared/jobs';
import { InvalidRequestError, modelName, NotFoundError } from '@trainyard/shared/platform';
import { taskResource, taskStatuses, taskTypeOf, taskTypes, type TaskResource, type TaskStatus, type TaskType } from '@trainyard/shared/tasks';
import { readTask, type ReadTaskDeps } from './read-task.js';

export interface ListTasksDeps extends ReadTaskDeps {
  taskIndex: TaskIndex;
}

/** What a listing (or a bulk retry) keeps of a tenant's tasks. */
export interface TaskFilter {
  status?: TaskStatus | undefined;
  type?: TaskType | undefined;
  model?: string | undefined;
  /** Epoch ms: tasks submitted at or after it. */
  sinceMs?: number | null | undefined;
}

export const sinceTime = z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso));

/** GET /v1/tasks query. */
export const listQuery = z.strictObject({
  status: z.enum(taskStatuses).optional(),
  type: z.enum(taskTypes).optional(),
  model: modelName.optional(),
  since: sinceTime.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListQuery = z.output<typeof listQuery>;

export const taskPage = z.object({ tasks: z.array(taskResource), next_cursor: z.string().nullable() });
export type TaskPage = z.output<typeof taskPage>;

/** Index entries read per round: each costs one pipelined read of its task. */
const pageSize = 100;
/** Index entries one request looks at at most: a narrow filter answers a short page and a cursor, not a long scan. */
const maxScanned = 2_000;

/**
 * The tenant's tasks matching the filter, newest first, walking its task index from `after`:
 * answers up to `limit` tasks and where to go on (null once the index is exhausted). Tasks gone
 * since they were indexed are skipped.
 */
export async function findTasks(
  deps: ListTasksDeps,
  tenant: string,
  filter: TaskFilter,
  limit: number,
  after: IndexPosition | null,
  keep: (task: TaskResource) => boolean = () => true,
): Promise<{ tasks: TaskResource[]; next: IndexPosition | null }> {
  const tasks: TaskResource[] = [];
  let position = after;
  let scanned = 0;
  while (tasks.length < limit && scanned < maxScanned) {
    const entries = await deps.taskIndex.page(tenant, position, filter.sinceMs ?? null, pageSize);
    if (!entries.length) return { tasks, next: null };
    const candidates = entries.map((entry) => (!filter.type || taskTypeOf(entry.taskId) === filter.type ? readTask(deps, entry.taskId, tenant).catch(skipGone) : null));
    const read = await Promise.all(candidates);
    for (const [i, task] of read.entries()) {
      position = entries[i]!;
      scanned++;
      if (task && matches(task, filter) && keep(task)) tasks.push(task);
      if (tasks.length === limit) break;
    }
  }
  // A full page: there is more only if the index goes on.
  const more = position !== null && (await deps.taskIndex.page(tenant, position, filter.sinceMs ?? null, 1)).length > 0;
  return { tasks, next: more ? position : null };
}

/** GET /v1/tasks */
export async function listTasks(deps: ListTasksDeps, tenant: string, query: ListQuery): Promise<TaskPage> {
  const { tasks, next } = await findTasks(deps, tenant, { ...query, sinceMs: query.since }, query.limit, query.cursor ? parseCursor(query.cursor) : null);
  return { tasks, next_cursor: next ? cursorOf(next) : null };
}

function matches(task: TaskResource, { status, type, model }: TaskFilter): boolean {
  return (!status || task.status === status) && (!type || task.type === type) && (!model || task.model === model);
}

function skipGone(error: unknown): null {
  if (error instanceof NotFoundError) return null;
  throw error;
}

/** A cursor is opaque to clients: the position of the last task looked at. */
function cursorOf({ createdAt, taskId }: IndexPosition): string {
  return Buffer.from(`${createdAt}:${taskId}`).toString('base64url');
}

function parseCursor(cursor: string): IndexPosition {
  const [createdAt, taskId] = Buffer.from(cursor, 'base64url').toString().split(':');
  if (!createdAt || !/^\d{1,15}$/.test(createdAt) || !taskId || !taskTypeOf(taskId)) {
    throw new InvalidRequestError('cursor: not a cursor this API gave out', [{ path: 'cursor', message: 'not a cursor this API gave out' }]);
  }
  return { createdAt: Number(createdAt), taskId };
}
