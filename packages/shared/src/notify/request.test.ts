import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidRequestError } from '../platform/errors.js';
import type { Resolve } from './net-guard.js';
import { assertDeliverableWebhook, notifyEventOf, notifyRequest } from './request.js';

const request = z.strictObject({ model: z.string(), notify: notifyRequest.optional() });

function issuePaths(input: unknown): string[] {
  const result = request.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
}

describe('notifyRequest', () => {
  it('notifies on every terminal status unless told otherwise', () => {
    const parsed = request.parse({ model: 'iris', notify: { email: 'ml-team@example.com', webhook: 'https://hooks.example.com/trainyard' } });
    expect(parsed.notify).toEqual({
      email: 'ml-team@example.com',
      webhook: 'https://hooks.example.com/trainyard',
      on: ['succeeded', 'failed', 'revoked'],
    });
  });

  it('keeps a chosen subset of events', () => {
    expect(notifyRequest.parse({ email: 'a@example.com', on: ['failed'] }).on).toEqual(['failed']);
  });

  it.each([
    [{ email: 'not-an-email' }, 'notify.email'],
    [{ webhook: 'not a url' }, 'notify.webhook'],
    [{ webhook: 'ftp://hooks.example.com/x' }, 'notify.webhook'],
    [{ webhook: 'javascript:alert(1)' }, 'notify.webhook'],
    [{ webhook: `https://hooks.example.com/${'a'.repeat(2_100)}` }, 'notify.webhook'],
    [{ on: ['finished'] }, 'notify.on.0'],
    [{ on: [] }, 'notify.on'],
    [{ on: ['failed', 'failed'] }, 'notify.on'],
    [{ sms: '+15555550100' }, 'notify'],
  ])('rejects %j, naming %s', (notify, path) => {
    expect(issuePaths({ model: 'iris', notify })).toEqual([path]);
  });
});

describe('notifyEventOf', () => {
  it('announces only finished outcomes a user can subscribe to', () => {
    expect(notifyEventOf('SUCCESS')).toBe('succeeded');
    expect(notifyEventOf('FAILURE')).toBe('failed');
    expect(notifyEventOf('REVOKED')).toBe('revoked');
    expect(notifyEventOf('EXPIRED')).toBeNull();
    expect(notifyEventOf('STARTED')).toBeNull();
  });
});

describe('assertDeliverableWebhook', () => {
  const dns: Record<string, string[]> = {
    'metadata.google.internal': ['169.254.169.254'],
    'rebound.example.com': ['10.0.0.7'],
    'dual.example.com': ['93.184.216.34', 'fd00::1'],
    'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  };
  const resolve: Resolve = async (host) => {
    const addresses = dns[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

  it.each([
    'http://127.0.0.1/hook',
    'http://127.0.0.1:6379/',
    'http://0.0.0.0/',
    'http://0/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://017700000001/',
    'http://127.1/',
    'http://0177.0.0.1/',
    'http://0x7f.0.0.1/',
    'http://127.000.000.001/',
    'http://127.0.0.1./',
    'http://%31%32%37.0.0.1/',
    'http://①②⑦.0.0.1/',
    'http://localhost:8080/',
    'http://LOCALHOST./',
    'http://app.localhost/',
    'http://[::1]/',
    'http://[::]/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[64:ff9b::a00:1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.0.1/',
    'http://100.64.0.1/',
    'http://[fc00::1]/',
    'http://[fe80::1]/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
    'https://metadata.google.internal/computeMetadata/v1/',
    'https://rebound.example.com/hook',
    'https://dual.example.com/hook',
  ])('refuses %s with a 400 naming notify.webhook', async (url) => {
    const error = await assertDeliverableWebhook(url, [], resolve).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).issues).toEqual([{ path: 'notify.webhook', message: expect.stringMatching(/address$/) }]);
  });

  it('accepts a name whose addresses are all public', async () => {
    await expect(assertDeliverableWebhook('https://hooks.example.com/trainyard', [], resolve)).resolves.toBeUndefined();
  });

  it('accepts a name that does not resolve yet: delivery checks it again', async () => {
    await expect(assertDeliverableWebhook('https://not-yet.example.com/hook', [], resolve)).resolves.toBeUndefined();
  });

  it('does not hold a submission for a resolver that never answers', async () => {
    const started = Date.now();
    await expect(assertDeliverableWebhook('https://slow.example.com/', [], () => new Promise(() => {}))).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('lets allow-listed hosts through', async () => {
    await expect(assertDeliverableWebhook('http://127.0.0.1:8080/hook', ['127.0.0.1'], resolve)).resolves.toBeUndefined();
    await expect(assertDeliverableWebhook('http://localhost:8080/hook', ['localhost'], resolve)).resolves.toBeUndefined();
    await expect(assertDeliverableWebhook('http://[::1]:8080/hook', ['127.0.0.1'], resolve)).rejects.toBeInstanceOf(InvalidRequestError);
  });
});
