import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { defaultJobOptions, type RetryAndRetention } from './job-options.js';
import { notifyEventOf, notifyEvents, type NotifyEvent, type NotifyRequest } from './notify.js';
import type { LoggedTaskEvent, TaskEvent, TaskEventLog } from './task-events.js';
import { failuresIn, historyOf, lastWorker, progressOf, type TaskNotificationStatus, type TaskResource } from './task-resource.js';
import { taskTypeOf, type TaskStatus } from './tasks.js';

type StatusEvent = Extract<TaskEvent, { type: 'status' }>;

/** Emails and webhooks go through their own queue, so a slow receiver never holds a task worker. */
export const notifyQueueName = 'notify';

export const notifyChannels = ['email', 'webhook'] as const;
export type NotifyChannel = (typeof notifyChannels)[number];

/** One notify job: one channel, one event of one task. */
export const notificationJobData = z.object({
  channel: z.enum(notifyChannels),
  /** The email address or the webhook URL. */
  to: z.string().min(1),
  event: z.enum(notifyEvents),
  /** Names the model in emails about tasks that have no result saying so. */
  model: z.string().optional(),
  /** The task as it finished: every attempt delivers the same content. */
  task: z.custom<TaskResource>((value) => typeof value === 'object' && value !== null && 'task_id' in value, 'a task resource'),
});
export type NotificationJobData = z.output<typeof notificationJobData>;

/**
 * Derived from task, event and channel: queueing again (a retried or re-processed task) finds the
 * job already there and adds nothing. BullMQ ids may not contain ":".
 */
export function notificationJobId(taskId: string, event: NotifyEvent, channel: NotifyChannel): string {
  return `${taskId}-${event}-${channel}`;
}

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
 * Attempts and backoff from NOTIFY_ATTEMPTS and NOTIFY_BACKOFF_MS; notify jobs are kept as long as
 * their task, so the task resource can show how they went.
 */
export interface NotifyQueueOptions extends RetryAndRetention {
  prefix: string;
}

/** The notify queue, as both the finishing side (worker, cancellation) and the reading side (API) use it. */
/** The notify queue's options as both the API and the worker read them from their configuration. */
export function notifyQueueOptions(config: {
  QUEUE_PREFIX: string;
  NOTIFY_ATTEMPTS: number;
  NOTIFY_BACKOFF_MS: number;
  TASK_RETENTION_S: number;
  TASK_RETENTION_COUNT: number;
}): NotifyQueueOptions {
  return {
    prefix: config.QUEUE_PREFIX,
    attempts: config.NOTIFY_ATTEMPTS,
    backoffMs: config.NOTIFY_BACKOFF_MS,
    retentionSeconds: config.TASK_RETENTION_S,
    retentionCount: config.TASK_RETENTION_COUNT,
  };
}

export class TaskNotifications {
  readonly queue: Queue;

  constructor(
    connection: Redis,
    private readonly events: TaskEventLog,
    options: NotifyQueueOptions,
  ) {
    this.queue = new Queue(notifyQueueName, { connection, prefix: options.prefix, defaultJobOptions: defaultJobOptions(options) });
    // Failed commands reject to their callers; the event itself needs no action.
    this.queue.on('error', () => {});
  }

  /**
   * Call when a task reaches its final status (SUCCESS, FAILURE or REVOKED), before that status is
   * recorded and before the task's job is finished: the notifications are then part of finishing,
   * and a crash in between only means the task is finished again, which queues nothing twice.
   * `final` is the status event about to be appended to the task's log; `result` a success's value.
   */
  async taskFinished(job: Job, final: TaskEvent, result?: unknown): Promise<void> {
    const target = job.data as NotifyTarget;
    if (final.type !== 'status' || !recipientsOf(target.notify, notifyEventOf(final.status)).length) return;
    const logged = [...(await this.events.read(job.id!)), { id: '', event: final }];
    await this.enqueue(finishedTask(job, final, result, logged), target);
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
    await this.queue.addBulk(
      recipients.map(({ channel, to }) => {
        const data: NotificationJobData = { channel, to, event, task: snapshot, ...(target.model ? { model: target.model } : {}) };
        return { name: `${channel}.send`, data, opts: { jobId: notificationJobId(task.task_id, event, channel) } };
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
    const found = await Promise.all(
      channels.map(async (channel) => {
        const job = (await this.queue.getJob(notificationJobId(taskId, event, channel))) as Job | undefined;
        return job ? notificationStatusOf(channel, job, await job.getState()) : null;
      }),
    );
    return found.filter((entry) => entry !== null);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** The task resource as of its final status, from the job and its log (which ends with `final`). */
function finishedTask(job: Job, final: StatusEvent, result: unknown, logged: LoggedTaskEvent[]): TaskResource {
  const iso = (epochMs: number | undefined) => (epochMs ? new Date(epochMs).toISOString() : null);
  return {
    task_id: job.id!,
    type: taskTypeOf(job.id!) ?? (job.queueName as TaskResource['type']),
    status: final.status,
    progress: progressOf(job.progress),
    result: final.status === 'SUCCESS' ? (result ?? null) : null,
    error: final.error ?? null,
    attempts: job.attemptsStarted,
    failures: failuresIn(logged),
    history: historyOf(logged),
    notifications: [],
    worker: lastWorker(logged),
    created_at: iso(job.timestamp)!,
    started_at: iso(job.processedOn),
    finished_at: final.at,
  };
}

function notificationStatusOf(channel: NotifyChannel, job: Job, state: string): TaskNotificationStatus {
  return {
    channel,
    status: state === 'completed' ? 'delivered' : state === 'failed' ? 'failed' : 'pending',
    attempts: job.attemptsStarted,
    last_error: job.failedReason || null,
  };
}
