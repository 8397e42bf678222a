import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidRequestError } from '@trainyard/shared/platform';
import { taskTypeOf, terminalStatuses, type TaskResource } from '@trainyard/shared/tasks';
import type { Principal } from '../auth/principal.js';
import type { Closing } from '../http/closing.js';
import type { TaskCompletions } from './completions.js';
import { readTask, type ReadTaskDeps } from './read-task.js';
import type { TaskFollower } from './task-follower.js';

export interface WaitDeps extends ReadTaskDeps {
  completions: TaskCompletions;
  /** Counts each wait against its key's and the process' caps, as it does event streams. */
  followers: TaskFollower;
  /** When the API stops, a waiting request answers with the task as it stands. */
  closing: Closing;
}

export const maxWaitSeconds = 60;
/** Also looks at the task itself this often, for an end BullMQ reports no event for (an expiry while waiting). */
const recheckMs = 5_000;

export interface WaitedTask {
  task: TaskResource;
  finished: boolean;
}

const isFinished = (task: TaskResource) => terminalStatuses.has(task.status);

/**
 * The caller's task once it has finished, or as it stands after `seconds` or when the API stops.
 * Waits for the task's job to end (TaskCompletions), then reads the task again: BullMQ reports the
 * end in the same script that stores the outcome, so the read sees the final status with its result.
 */
export async function waitForTask(deps: WaitDeps, taskId: string, seconds: number, clientGone: AbortSignal, caller: Principal): Promise<WaitedTask> {
  const { tenant } = caller;
  const deadline = Date.now() + seconds * 1_000;
  const type = taskTypeOf(taskId);
  const unhold = seconds > 0 ? deps.followers.hold(caller.keyId ?? 'anonymous') : () => {};
  // Watching starts before the read, so an end right after the read is not missed.
  const watch = type && seconds > 0 ? deps.completions.watch(type, taskId) : null;
  const { signal, release } = deps.closing.withSignal(clientGone);
  try {
    let task = await readTask(deps, taskId, tenant);
    const stopped = aborted(signal);
    while (watch && !isFinished(task) && !signal.aborted && Date.now() < deadline) {
      const pause = new AbortController();
      const recheck = sleep(Math.min(recheckMs, deadline - Date.now()), undefined, { signal: pause.signal }).catch(() => {});
      await Promise.race([watch.next(), recheck, stopped]);
      pause.abort();
      if (clientGone.aborted) break;
      task = await readTask(deps, taskId, tenant);
    }
    return { task, finished: isFinished(task) };
  } finally {
    release();
    watch?.stop();
    unhold();
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
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
