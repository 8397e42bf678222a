import { Command, Option } from 'commander';
import type { TaskListQuery, TaskResource, TrainResult } from '@trainyard/client';
import { contextOf, watchTask } from '../context.js';
import { formatNumber, table } from '../output.js';
import { trainedSummary } from './train.js';

/** How far a task is: a training's epochs and loss, a batch's rows. */
function progressOf({ progress }: TaskResource): string | undefined {
  if (!progress) return undefined;
  if ('epoch' in progress) return `${progress.percent}% (epoch ${progress.epoch}/${progress.epochs}, loss ${formatNumber(progress.loss)})`;
  return `${progress.percent}% (${progress.rows_done} of ${progress.rows_total} rows)`;
}

function taskSummary(task: TaskResource): string {
  const progress = progressOf(task);
  const rows = [
    ['task', task.task_id],
    ['status', task.status],
    ['progress', progress],
    ['attempts', task.attempts],
    ['worker', task.worker],
    ['created', task.created_at],
    ['started', task.started_at],
    ['finished', task.finished_at],
    ['error', task.error ? `${task.error.message} (${task.error.code})` : undefined],
  ].filter(([, value]) => value !== undefined && value !== null);
  const result = task.result === null ? '' : `\n\n${JSON.stringify(task.result, null, 2)}`;
  return table(rows) + result;
}

const statuses = ['PENDING', 'STARTED', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED', 'EXPIRED'];
const types = ['train', 'predict', 'batch'];

export function tasksCommand(): Command {
  const tasks = new Command('tasks').description('list, read, follow, cancel and retry tasks');
  tasks
    .command('ls')
    .description("list the tenant's tasks, newest first")
    .addOption(new Option('--status <status>', 'only tasks with this status').choices(statuses))
    .addOption(new Option('--type <type>', 'only tasks of this type').choices(types))
    .option('--model <name>', 'only tasks of this model')
    .option('--limit <n>', 'at most this many (1-200)', '50')
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .action(async (options: { status?: string; type?: string; model?: string; limit: string; cursor?: string }, command: Command) => {
      const { client, output } = contextOf(command);
      const page = await client.tasks.list({ ...options, limit: Number(options.limit) } as TaskListQuery);
      output.result(page, () => {
        const rows = page.tasks.map((task) => [task.task_id, task.type, task.model, task.version, task.status, task.created_at, task.retried_by ? `retried by ${task.retried_by}` : '']);
        const listing = rows.length ? table([['TASK', 'TYPE', 'MODEL', 'VERSION', 'STATUS', 'CREATED', ''], ...rows]) : 'no tasks';
        return page.next_cursor ? `${listing}\n\nmore: --cursor ${page.next_cursor}` : listing;
      });
    });
  tasks
    .command('retry')
    .description('run a failed, revoked or expired task again as a new task')
    .argument('<task-id>')
    .action(async (taskId: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      const task = await client.tasks.retry(taskId);
      output.result(task, () => `${task.task_id} queued, retrying ${taskId}`);
    });
  tasks
    .command('get')
    .description('show a task')
    .argument('<task-id>')
    .action(async (taskId: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      const task = await client.task(taskId);
      output.result(task, () => taskSummary(task));
    });
  tasks
    .command('watch')
    .description('follow a task to its end with a progress bar')
    .argument('<task-id>')
    .action(async (taskId: string, _options, command: Command) => {
      const context = contextOf(command);
      const task = await watchTask(context, taskId);
      const trained = task.status === 'SUCCESS' && task.type === 'train';
      context.output.result(task, () => (trained ? trainedSummary(task.result as TrainResult) : taskSummary(task)));
    });
  tasks
    .command('cancel')
    .description('cancel a task: a waiting one at once, a running training at its next batch')
    .argument('<task-id>')
    .action(async (taskId: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      const task = await client.cancel(taskId);
      output.result(task, () => `${task.task_id} ${task.status === 'REVOKED' ? 'revoked' : 'stopping'}`);
    });
  return tasks;
}
