import type { ParsedJob } from '@trainyard/shared/jobs';
import { webhookPayload } from '@trainyard/shared/notify';
import type { Mailer } from './mailer.js';
import { renderTaskEmail } from './task-email.js';
import { deliverWebhook, throwUnlessDelivered, type WebhookOptions } from './webhook.js';

export interface NotifyDeps {
  mailer: Mailer;
  /** PUBLIC_URL, for the task's link in emails. */
  publicUrl: string;
  webhook: WebhookOptions;
}

export type NotifyResult =
  | { channel: 'email'; message_id: string; file?: string }
  | { channel: 'webhook'; status: number; duration_ms: number };

/**
 * Delivers one notify job. A failure that a retry may cure throws a plain Error (BullMQ retries
 * with backoff); a refusal throws UnrecoverableError. Either way the task itself is untouched.
 */
export function createNotifyProcessor(deps: NotifyDeps) {
  return async (job: ParsedJob<'notify'>): Promise<NotifyResult> => {
    const { to, event, task } = job.data;
    if (job.name === 'email.send') {
      const sent = await deps.mailer.send({ to, ...renderTaskEmail(task, deps.publicUrl, job.data.model) });
      return { channel: 'email', message_id: sent.messageId, ...(sent.file ? { file: sent.file } : {}) };
    }
    // The event id, not the job id, names the message: receivers drop duplicates by webhook-id.
    const attempt = await deliverWebhook({ id: `${task.task_id}:${event}`, url: to, payload: webhookPayload(event, task) }, deps.webhook);
    throwUnlessDelivered(attempt);
    return { channel: 'webhook', status: attempt.delivered ? attempt.status : 0, duration_ms: attempt.durationMs };
  };
}
