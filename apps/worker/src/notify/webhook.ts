import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { UnrecoverableError } from 'bullmq';
import { connectionGuard, HostAllowList, webhookHeaders, webhookId, type Resolve, type WebhookPayload } from '@trainyard/shared/notify';

export interface WebhookEvent {
  /** Stable for one event across attempts (e.g. "{task_id}:{event}"); the webhook-id is derived from it. */
  id: string;
  url: string;
  payload: WebhookPayload;
}

export interface WebhookOptions {
  /** WEBHOOK_SECRET; without one the webhook goes unsigned. */
  secret: string | undefined;
  /** WEBHOOK_ALLOW_HOSTS */
  allowHosts: readonly string[];
  timeoutMs?: number;
  /** The resolver the connection uses; tests inject one to play DNS tricks. */
  resolve?: Resolve;
}

export type WebhookAttempt =
  | { delivered: true; status: number; durationMs: number }
  | { delivered: false; retryable: boolean; reason: string; status?: number; durationMs: number };

const defaultTimeoutMs = 10_000;
/** A guarded address or a URL Node cannot send to stays that way on every retry. */
const finalErrors = new Set(['ERR_ADDRESS_BLOCKED', 'ERR_INVALID_URL', 'ERR_INVALID_PROTOCOL']);
/** Enough of a refusal's body to tell why in the logs. */
const excerptBytes = 200;

/**
 * One delivery attempt: POSTs the payload, signed (Standard Webhooks), to the event's URL. Never
 * follows redirects, and connects only to addresses the SSRF guard allows, checked on the address
 * actually connected to. Reports the outcome rather than throwing; see throwUnlessDelivered.
 */
export async function deliverWebhook(event: WebhookEvent, options: WebhookOptions): Promise<WebhookAttempt> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const body = JSON.stringify(event.payload);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Trainyard-Webhooks/1',
    ...webhookHeaders(options.secret, webhookId(event.id), body),
  };
  const elapsed = () => Date.now() - started;

  try {
    const url = new URL(event.url);
    const lookup = connectionGuard(url.hostname, new HostAllowList(options.allowHosts), options.resolve);
    const { status, excerpt } = await post(url, headers, body, lookup, timeoutMs);
    if (status >= 200 && status < 300) return { delivered: true, status, durationMs: elapsed() };
    const reason = `answered ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}${excerpt ? `: ${excerpt}` : ''}`;
    return { delivered: false, retryable: isRetryableStatus(status), reason, status, durationMs: elapsed() };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    if (failure.code && finalErrors.has(failure.code)) return { delivered: false, retryable: false, reason: failure.message, durationMs: elapsed() };
    const reason = failure.name === 'AbortError' ? `no answer within ${timeoutMs} ms` : `${failure.code ?? failure.name}: ${failure.message}`;
    return { delivered: false, retryable: true, reason, durationMs: elapsed() };
  }
}

/** Server trouble, a timeout or rate limiting may pass; any other 4xx, or a redirect, will not. */
function isRetryableStatus(status: number): boolean {
  return (status >= 500 && status < 600) || status === 408 || status === 429;
}

/**
 * For the notify queue's processor: a refusal fails the job for good (BullMQ's UnrecoverableError),
 * a retryable failure throws a plain Error so BullMQ retries it with backoff.
 */
export function throwUnlessDelivered(attempt: WebhookAttempt): void {
  if (attempt.delivered) return;
  const message = `webhook not delivered: ${attempt.reason}`;
  throw attempt.retryable ? new Error(message) : new UnrecoverableError(message);
}

function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
  lookup: LookupFunction,
  timeoutMs: number,
): Promise<{ status: number; excerpt: string }> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup,
        // Its own connection: never a pooled socket that some other code opened without the address check.
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => readExcerpt(res).then((excerpt) => resolve({ status: res.statusCode ?? 0, excerpt })),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The first bytes of the body, then the connection is dropped: the receiver's answer is its status. */
function readExcerpt(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      res.destroy();
      resolve(Buffer.concat(chunks).subarray(0, excerptBytes).toString('utf8').replace(/\s+/g, ' ').trim());
    };
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= excerptBytes) done();
    });
    res.on('error', done).on('close', done);
  });
}
