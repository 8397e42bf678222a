import { z } from 'zod';
import { InvalidRequestError } from '../platform/errors.js';
import type { TaskStatus } from '../tasks/status.js';
import { assertPublicHost, BlockedAddressError, HostAllowList, type Resolve } from './net-guard.js';

export const notifyEvents = ['succeeded', 'failed', 'revoked'] as const;
export type NotifyEvent = (typeof notifyEvents)[number];

const eventByStatus: Partial<Record<TaskStatus, NotifyEvent>> = { SUCCESS: 'succeeded', FAILURE: 'failed', REVOKED: 'revoked' };

/** The event a task's status announces, or null when it announces none (still running, or expired). */
export function notifyEventOf(status: TaskStatus): NotifyEvent | null {
  return eventByStatus[status] ?? null;
}

/** The optional `notify` member of train and predict requests. */
export const notifyRequest = z.strictObject({
  email: z.email().max(254).optional(),
  webhook: z.url({ protocol: /^https?$/ }).max(2_048).optional(),
  on: z
    .array(z.enum(notifyEvents))
    .min(1)
    .refine((events) => new Set(events).size === events.length, 'lists an event twice')
    .default([...notifyEvents]),
});
export type NotifyRequest = z.output<typeof notifyRequest>;

/** Slow DNS must not hold a submission; an unanswered name is checked again when the webhook is sent. */
const resolveBudgetMs = 2_000;

/**
 * Submit-time SSRF check of `notify.webhook`: refuses IP literals and names that already resolve
 * to a private, loopback, link-local or otherwise internal address, unless the host is in
 * `allowHosts` (WEBHOOK_ALLOW_HOSTS). A name that does not resolve yet is accepted; delivery
 * checks the address it actually connects to.
 */
export async function assertDeliverableWebhook(url: string, allowHosts: readonly string[], resolve?: Resolve): Promise<void> {
  const check = assertPublicHost(new URL(url).hostname, new HostAllowList(allowHosts), resolve).catch((error: unknown) => {
    if (error instanceof BlockedAddressError) {
      throw new InvalidRequestError('notify.webhook points at an address the platform does not call', [
        { path: 'notify.webhook', message: error.message },
      ]);
    }
  });
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((done) => (timer = setTimeout(done, resolveBudgetMs)));
  try {
    await Promise.race([check, budget]);
  } finally {
    clearTimeout(timer);
  }
}
