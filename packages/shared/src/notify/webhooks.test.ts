import { describe, expect, it } from 'vitest';
import { finishedTask } from '@trainyard/test-support/task-resources';
import { signWebhook, verifyWebhook, WebhookVerificationError, webhookHeaders, webhookId, webhookPayload } from './webhooks.js';

const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const at = new Date('2025-06-01T12:00:00Z');

const task = finishedTask({
  task_id: 'train-0123456789abcdef0123456789abcdef',
  result: { model: 'iris', version: 3, algorithm: 'mlp', metrics: { accuracy: 0.97 }, duration_ms: 1234 },
  worker: 'host:1',
  created_at: '2025-06-01T11:59:00Z',
  started_at: '2025-06-01T11:59:01Z',
  finished_at: '2025-06-01T11:59:58Z',
});

function signed(body: string, key = secret) {
  return webhookHeaders(key, webhookId('train-1:succeeded'), body, at);
}

describe('signWebhook', () => {
  it('matches the Standard Webhooks reference vector', () => {
    const signature = signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('uses a secret without the whsec_ prefix as plain UTF-8 bytes', () => {
    const plain = 'a plain shared secret';
    const asWhsec = `whsec_${Buffer.from(plain).toString('base64')}`;
    expect(signWebhook(plain, 'msg_1', 1, '{}')).toBe(signWebhook(asWhsec, 'msg_1', 1, '{}'));
    expect(signWebhook(plain, 'msg_1', 1, '{}')).not.toBe(signWebhook(secret, 'msg_1', 1, '{}'));
  });
});

describe('webhookId', () => {
  it('is the same for every attempt at one event and differs between events', () => {
    expect(webhookId('train-1:succeeded')).toBe(webhookId('train-1:succeeded'));
    expect(webhookId('train-1:succeeded')).not.toBe(webhookId('train-1:failed'));
    expect(webhookId('train-1:succeeded')).toMatch(/^msg_[\w-]{24}$/);
  });
});

describe('verifyWebhook', () => {
  const body = JSON.stringify(webhookPayload('succeeded', task));

  it('returns the payload of a correctly signed body', () => {
    const payload = verifyWebhook(secret, { ...signed(body) }, Buffer.from(body), { now: at });
    expect(payload).toEqual({ type: 'task.succeeded', timestamp: task.finished_at, data: task });
  });

  it('accepts any one matching signature among several (secret rotation)', () => {
    const headers = signed(body);
    const rotated = { ...headers, 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')} ${headers['webhook-signature']}` };
    expect(verifyWebhook(secret, rotated, body, { now: at }).type).toBe('task.succeeded');
  });

  it.each([
    ['a changed body', (headers: Record<string, string>) => [headers, body.replace('0.97', '0.99')]],
    ['another id', (headers: Record<string, string>) => [{ ...headers, 'webhook-id': 'msg_other' }, body]],
    ['another timestamp', (headers: Record<string, string>) => [{ ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) + 1) }, body]],
    ['an unknown scheme', (headers: Record<string, string>) => [{ ...headers, 'webhook-signature': headers['webhook-signature']!.replace('v1,', 'v1a,') }, body]],
    ['a truncated signature', (headers: Record<string, string>) => [{ ...headers, 'webhook-signature': headers['webhook-signature']!.slice(0, 20) }, body]],
  ] as const)('refuses %s', (_case, tamper) => {
    const [headers, received] = tamper({ ...signed(body) }) as [Record<string, string>, string];
    expect(() => verifyWebhook(secret, headers, received, { now: at })).toThrow('no matching signature');
  });

  it('refuses a body signed with another secret', () => {
    expect(() => verifyWebhook(secret, { ...signed(body, 'some other secret of ours') }, body, { now: at })).toThrow(WebhookVerificationError);
  });

  it('refuses timestamps outside the tolerance, either way', () => {
    const headers = { ...signed(body) };
    const later = (seconds: number) => ({ now: new Date(at.getTime() + seconds * 1000), toleranceSeconds: 60 });
    expect(verifyWebhook(secret, headers, body, later(60)).type).toBe('task.succeeded');
    expect(() => verifyWebhook(secret, headers, body, later(61))).toThrow('outside the tolerance');
    expect(() => verifyWebhook(secret, headers, body, later(-61))).toThrow('outside the tolerance');
  });

  it('refuses missing or malformed headers', () => {
    const { 'webhook-id': _id, ...withoutId } = signed(body);
    expect(() => verifyWebhook(secret, withoutId, body, { now: at })).toThrow('missing webhook-id header');
    expect(() => verifyWebhook(secret, { ...signed(body), 'webhook-timestamp': '2025-06-01' }, body, { now: at })).toThrow('not a number');
  });
});
