import { AppError, serverOf, type RedisClient } from '@trainyard/shared/platform';

/**
 * SUBMIT_DURABILITY=replicated: Redis replicates asynchronously, so a master that dies right after
 * storing a job can take it along. WAIT 1 on the connection that stored the job (on a cluster, the
 * one to the master of the job's slot) answers once a replica has every write sent on it so far.
 * A submit that no replica confirms in time answers 503 naming the task, which is queued and may
 * still run (or be lost with its master): the client decides whether to submit again.
 */
export function replicaConfirmation(redis: RedisClient, timeoutMs: number): (jobKey: string, taskId: string) => Promise<void> {
  return async (jobKey, taskId) => {
    const server = serverOf(redis, jobKey);
    const replicas = server ? await server.wait(1, timeoutMs) : 0;
    if (replicas < 1) {
      throw new AppError('unavailable', `task ${taskId} is queued, but no replica confirmed it within ${timeoutMs} ms (SUBMIT_DURABILITY=replicated)`);
    }
  };
}
