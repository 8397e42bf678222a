import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidRequestError } from '@trainyard/shared/platform';
import { terminalStatuses, type TaskResource } from '@trainyard/shared/tasks';
import type { Principal } from '../auth/principal.js';
import type { Closing } from '../http/closing.js';
import { readTask, type ReadTaskDeps } from './read-task.js';
import type { TaskFollower } from './task-follower.js';

export interface WaitDeps extends ReadTaskDeps {
  followers: TaskFollower;
  /** When the API stops, a waiting request answers with the task as it stands. */
  closing: Closing;
}

export const maxWaitSeconds = 60;
/** Also looks at the task itself this often, for an end the log never recorded (a task that stalled too often). */
const recheckMs = 5_000;
/** The log records the final status just before BullMQ stores the outcome (about one Redis round trip); this covers the gap. */
const settleMs = 2_000;

export interface WaitedTask {
  task: TaskResource;
  finished: boolean;
}

const isFinished = (task: TaskResource) => terminalStatuses.has(task.status);

/**
 * The task once it has finished, or as it stands after `seconds` or when the API stops. Follows
 * the task's event log through the process' multiplexed follower (counted against the caller's
 * key), until done or until `clientGone` aborts.
 */
export async function waitForTask(deps: WaitDeps, taskId: string, seconds: number, clientGone: AbortSignal, caller: Principal): Promise<WaitedTask> {
  const { tenant } = caller;
  const deadline = Date.now() + seconds * 1_000;
  // The log position first: whatever is appended after it, the follow below sees. Both go out on
  // the one shared connection, in this order, without waiting for each other.
  const [lastId, task] = await Promise.all([deps.events.lastId(taskId), readTask(deps, taskId, tenant)]);
  if (isFinished(task) || seconds <= 0) return { task, finished: isFinished(task) };

  const follow = deps.followers.follow(taskId, lastId, caller.keyId ?? 'anonymous');
  const { signal, release } = deps.closing.withSignal(clientGone);
  const close = () => follow.close();
  if (signal.aborted) close();
  else signal.addEventListener('abort', close, { once: true });
  try {
    while (Date.now() < deadline && !signal.aborted) {
      const logged = await follow.next(Math.min(recheckMs, deadline - Date.now()));
      if (signal.aborted) break;
      const ended = logged.some(({ event }) => event.type === 'status' && terminalStatuses.has(event.status));
      if (ended) return await settled(deps, taskId, tenant);
      const current = await readTask(deps, taskId, tenant);
      if (isFinished(current)) return { task: current, finished: true };
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    signal.removeEventListener('abort', close);
    release();
    follow.close();
  }
  if (clientGone.aborted) return { task, finished: false };
  const current = await readTask(deps, taskId, tenant);
  return { task: current, finished: isFinished(current) };
}

async function settled(deps: ReadTaskDeps, taskId: string, tenant: string): Promise<WaitedTask> {
  const until = Date.now() + settleMs;
  // The gap is usually shorter than a millisecond: look again at once, then back off.
  for (let pauseMs = 0; ; pauseMs = Math.min(Math.max(1, pauseMs * 2), 20)) {
    const task = await readTask(deps, taskId, tenant);
    if (isFinished(task) || Date.now() > until) return { task, finished: isFinished(task) };
    await sleep(pauseMs);
  }
}

/** `Prefer: wait=N` (RFC 7240), capped at 60 s; a preference, so a malformed one is ignored. */
export function preferredWait(header: string | undefined): number | null {
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(header ?? '');
  return match ? Math.min(Number(match[1]), maxWaitSeconds) : null;
}

/** `?wait=N` on GET /v1/tasks/{id}: 0 to 60 seconds; anything else is a 400. */
export function waitQuery(value: unknown): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || !/^\d{1,2}$/.test(value) || Number(value) > maxWaitSeconds) {
    throw new InvalidRequestError(`wait: a number of seconds from 0 to ${maxWaitSeconds}`, [
      { path: 'wait', message: `a number of seconds from 0 to ${maxWaitSeconds}` },
    ]);
  }
  return Number(value);
}
