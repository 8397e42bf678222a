import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { TaskResource } from '../tasks/resource.js';
import type { NotifyEvent } from './request.js';

/**
 * Webhooks are signed as the Standard Webhooks spec says (https://www.standardwebhooks.com):
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
 *
 * The secret: `whsec_<base64>` is base64-decoded and the bytes are the key, as in the spec and
 * its reference libraries; any other string is used as its UTF-8 bytes.
 */

export type WebhookEventType = `task.${NotifyEvent}`;

export interface WebhookPayload {
  type: WebhookEventType;
  /** When the event happened (ISO 8601); the same on every delivery attempt. */
  timestamp: string;
  data: TaskResource;
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The body for a task that reached a notified status; `timestamp` is when it finished. */
export function webhookPayload(event: NotifyEvent, task: TaskResource): WebhookPayload {
  return { type: `task.${event}`, timestamp: task.finished_at ?? new Date().toISOString(), data: task };
}

const secretPrefix = 'whsec_';

function webhookSigningKey(secret: string): Buffer {
  return secret.startsWith(secretPrefix) ? Buffer.from(secret.slice(secretPrefix.length), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * The `webhook-id` for an event, derived from the caller's stable event id so every attempt to
 * deliver the same event carries the same id and receivers can drop duplicates.
 */
export function webhookId(eventId: string): string {
  return `msg_${createHash('sha256').update(eventId).digest('base64url').slice(0, 24)}`;
}

/** `v1,<base64>` for one message; `timestamp` is in seconds since the epoch, as sent in `webhook-timestamp`. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  return `v1,${hmac(webhookSigningKey(secret), id, String(timestamp), body).toString('base64')}`;
}

function hmac(key: Buffer, id: string, timestamp: string, body: string | Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

/** The headers for one delivery attempt at `at`; without a secret the message goes unsigned. */
export function webhookHeaders(secret: string | undefined, id: string, body: string | Buffer, at = new Date()): Partial<WebhookHeaders> {
  const timestamp = Math.floor(at.getTime() / 1000);
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp) };
  return secret ? { ...headers, 'webhook-signature': signWebhook(secret, id, timestamp, body) } : headers;
}

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

export interface VerifyOptions {
  /** How far `webhook-timestamp` may be from now, either way; 5 minutes by default, as the spec suggests. */
  toleranceSeconds?: number;
  now?: Date;
}

/**
 * Checks a received webhook against the shared secret and returns its parsed body; throws
 * WebhookVerificationError otherwise. `rawBody` must be the bytes as received, before any JSON
 * parsing. Any one of several space-separated signatures may match (secret rotation).
 */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  rawBody: string | Buffer,
  { toleranceSeconds = 300, now = new Date() }: VerifyOptions = {},
): WebhookPayload {
  const id = singleHeader(headers, 'webhook-id');
  const timestamp = singleHeader(headers, 'webhook-timestamp');
  const signatures = singleHeader(headers, 'webhook-signature');
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a number of seconds');
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceSeconds) {
    throw new WebhookVerificationError('webhook-timestamp is outside the tolerance');
  }
  const expected = hmac(webhookSigningKey(secret), id, timestamp, rawBody);
  const matches = signatures.split(' ').some((signature) => {
    const [version, encoded] = signature.split(',', 2);
    if (version !== 'v1' || !encoded) return false;
    const received = Buffer.from(encoded, 'base64');
    return received.length === expected.length && timingSafeEqual(received, expected);
  });
  if (!matches) throw new WebhookVerificationError('no matching signature');
  return JSON.parse(rawBody.toString()) as WebhookPayload;
}

function singleHeader(headers: Record<string, string | string[] | undefined>, name: keyof WebhookHeaders): string {
  const value = headers[name];
  if (typeof value !== 'string' || !value) throw new WebhookVerificationError(`missing ${name} header`);
  return value;
}
