import type { Command } from 'commander';
import { Trainyard, type TaskResource } from '@trainyard/client';
import { createOutput, type Output } from './output.js';
import { trainingProgress } from './progress.js';

export interface Context {
  client: Trainyard;
  output: Output;
}

/** Exit codes scripts can rely on. */
export const exitCodes = { ok: 0, taskFailed: 1, usage: 2, apiError: 3 } as const;

/** The client and output a command runs with, from the global options (--url, --json). */
export function contextOf(command: Command): Context {
  const { url, json } = command.optsWithGlobals<{ url?: string; json?: boolean }>();
  return { client: new Trainyard(url ? { url } : {}), output: createOutput(json === true) };
}

/** Follows a task to its end with a live progress bar; a task that did not succeed sets exit code 1. */
export async function watchTask({ client, output }: Context, task: Parameters<Trainyard['waitFor']>[0]): Promise<TaskResource> {
  const taskId = typeof task === 'string' ? task : task.task_id;
  const progress = trainingProgress(taskId, output);
  const stopWatching = new AbortController();
  const interrupt = () => stopWatching.abort();
  process.once('SIGINT', interrupt);
  try {
    const finished = await client.waitFor(task, { onStatus: progress.onStatus, onProgress: progress.onProgress, signal: stopWatching.signal });
    return failIfUnsuccessful(finished, output);
  } finally {
    process.off('SIGINT', interrupt);
    progress.stop();
  }
}

export function failIfUnsuccessful(task: TaskResource, output: Output): TaskResource {
  if (task.status !== 'SUCCESS') {
    process.exitCode = exitCodes.taskFailed;
    output.note(`${task.task_id} ended ${task.status}${task.error ? `: ${task.error.message} (${task.error.code})` : ''}`);
  }
  return task;
}
