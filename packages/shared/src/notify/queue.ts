import type { Job } from 'bullmq';
import type { JobQueues } from '../jobs/catalog.js';
import type { LoggedTaskEvent, StatusEvent, TaskEventLog } from '../tasks/events.js';
import type { TaskType } from '../tasks/ids.js';
import { buildTaskResource, type TaskJob, type TaskNotificationStatus, type TaskResource } from '../tasks/resource.js';
import type { TaskStatus } from '../tasks/status.js';
import { notificationJobId, notifyChannels, type NotificationJobData, type NotifyChannel } from './job.js';
import { notifyEventOf, type NotifyEvent, type NotifyRequest } from './request.js';

/** What a task asked to be told and where, as its job data carries it. */
export interface NotifyTarget {
  model?: string;
  notify?: NotifyRequest;
}

interface Recipient {
  channel: NotifyChannel;
  to: string;
}

function recipientsOf(notify: NotifyRequest | undefined, event: NotifyEvent | null): Recipient[] {
  if (!notify || !event || !notify.on.includes(event)) return [];
  const recipients: Recipient[] = [];
  if (notify.email) recipients.push({ channel: 'email', to: notify.email });
  if (notify.webhook) recipients.push({ channel: 'webhook', to: notify.webhook });
  return recipients;
}

/**
 * The notifications about tasks' final statuses: queued on the notify queue (emails and webhooks go
 * through their own queue, so a slow receiver never holds a task worker) by whoever finishes a task
 * (a worker, or the API revoking a waiting task), and read back for the task resource.
 */
export class TaskNotifications {
  constructor(
    private readonly queues: JobQueues,
    private readonly events: TaskEventLog,
  ) {}

  /**
   * Call when a task reaches its final status (SUCCESS, FAILURE or REVOKED), before that status is
   * recorded and before the task's job is finished: the notifications are then part of finishing,
   * and a crash in between only means the task is finished again, which queues nothing twice.
   * `final` is the status event about to be appended to the task's log; `result` a success's value.
   */
  async taskFinished(job: TaskJob & { data: NotifyTarget }, type: TaskType, final: StatusEvent, result?: unknown): Promise<void> {
    if (!recipientsOf(job.data.notify, notifyEventOf(final.status)).length) return;
    const logged: LoggedTaskEvent[] = [...(await this.events.read(job.id!)), { id: '', event: final }];
    const task = buildTaskResource(job, { type, status: final.status, logged, finishing: { result, at: final.at } });
    await this.enqueue(task, job.data);
  }

  /**
   * Queues one job per channel that asked for the task's (final) status, in one transaction.
   * Idempotent: a job id that exists already is left as it is. Returns the channels queued.
   */
  async enqueue(task: TaskResource, target: NotifyTarget): Promise<NotifyChannel[]> {
    const event = notifyEventOf(task.status);
    const recipients = recipientsOf(target.notify, event);
    if (!event || !recipients.length) return [];
    const snapshot: TaskResource = {
      ...task,
      notifications: recipients.map(({ channel }) => ({ channel, status: 'pending', attempts: 0, last_error: null })),
    };
    await this.queues.addBulk(
      recipients.map(({ channel, to }) => {
        const data: NotificationJobData = { channel, to, event, task: snapshot, ...(target.model ? { model: target.model } : {}) };
        return { name: `${channel}.send` as const, data, options: { jobId: notificationJobId(task.task_id, event, channel) } };
      }),
    );
    return recipients.map(({ channel }) => channel);
  }

  /**
   * How the notifications about a task's status stand; none before the task reached a notified
   * status. `notify` (what the task asked for) spares looking up channels it did not ask for.
   */
  async statuses(taskId: string, status: TaskStatus, notify?: NotifyRequest): Promise<TaskNotificationStatus[]> {
    const event = notifyEventOf(status);
    if (!event) return [];
    const channels = notify ? recipientsOf(notify, event).map(({ channel }) => channel) : notifyChannels;
    const queue = this.queues.get('notify');
    const found = await Promise.all(
      channels.map(async (channel) => {
        const job = await queue.getJob(notificationJobId(taskId, event, channel));
        return job ? notificationStatusOf(channel, job, await job.getState()) : null;
      }),
    );
    return found.filter((entry) => entry !== null);
  }
}

function notificationStatusOf(channel: NotifyChannel, job: Job, state: string): TaskNotificationStatus {
  return {
    channel,
    status: state === 'completed' ? 'delivered' : state === 'failed' ? 'failed' : 'pending',
    attempts: job.attemptsStarted,
    last_error: job.failedReason || null,
  };
}
