import { z } from 'zod';
import type { TaskResource } from '../tasks/resource.js';
import { notifyEvents, type NotifyEvent } from './request.js';

export const notifyChannels = ['email', 'webhook'] as const;
export type NotifyChannel = (typeof notifyChannels)[number];

const notification = <C extends NotifyChannel>(channel: C) =>
  z.object({
    channel: z.literal(channel),
    /** The email address or the webhook URL. */
    to: z.string().min(1),
    event: z.enum(notifyEvents),
    /** Names the model in emails about tasks that have no result saying so. */
    model: z.string().optional(),
    /** The task as it finished: every attempt delivers the same content. */
    task: z.custom<TaskResource>((value) => typeof value === 'object' && value !== null && 'task_id' in value, 'a task resource'),
  });

/** One notify job: one channel, one event of one task. */
export const emailJobData = notification('email');
export const webhookJobData = notification('webhook');
export type NotificationJobData = z.output<typeof emailJobData> | z.output<typeof webhookJobData>;

/**
 * Derived from task, event and channel: queueing again (a retried or re-processed task) finds the
 * job already there and adds nothing. BullMQ ids may not contain ":".
 */
export function notificationJobId(taskId: string, event: NotifyEvent, channel: NotifyChannel): string {
  return `${taskId}-${event}-${channel}`;
}
