import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPublicHost, BlockedAddressError, blockedReason, connectionGuard, HostAllowList, type Resolve } from '../src/notify/net-guard.js';

const nobodyAllowed = new HostAllowList([]);
const resolvesTo =
  (...addresses: string[]): Resolve =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('blockedReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback (embeds 127.0.0.1)'],
    ['::ffff:7f00:1', 'loopback (embeds 127.0.0.1)'],
    ['::ffff:a9fe:a9fe', 'link-local (embeds 169.254.169.254)'],
    ['::ffff:0:c0a8:101', 'private (embeds 192.168.1.1)'],
    ['::127.0.0.1', 'loopback (embeds 127.0.0.1)'],
    ['64:ff9b::a00:1', 'private (embeds 10.0.0.1)'],
    ['64:ff9b::127.0.0.1', 'loopback (embeds 127.0.0.1)'],
    ['64:ff9b:1::808:808', 'private'],
    ['2002:c0a8:101::1', 'private (embeds 192.168.1.1)'],
    ['2001:0:4136:e378::1', 'reserved'],
    ['2001:db8::1', 'documentation'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['example.com', 'not an IP address'],
    ['', 'not an IP address'],
  ])('refuses %s as %s', (address, reason) => {
    expect(blockedReason(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    'lets the public address %s through',
    (address) => {
      expect(blockedReason(address)).toBeNull();
    },
  );
});

describe('assertPublicHost', () => {
  it('refuses a name that resolves to a private address, naming both', async () => {
    const check = assertPublicHost('metadata.google.internal', nobodyAllowed, resolvesTo('169.254.169.254'));
    await expect(check).rejects.toThrow('metadata.google.internal resolves to 169.254.169.254, a link-local address');
  });

  it('refuses a name when any one of its addresses is blocked', async () => {
    const check = assertPublicHost('mixed.example.com', nobodyAllowed, resolvesTo('93.184.216.34', '::1'));
    await expect(check).rejects.toBeInstanceOf(BlockedAddressError);
  });

  it('accepts a name whose addresses are all public', async () => {
    await expect(assertPublicHost('hooks.example.com', nobodyAllowed, resolvesTo('93.184.216.34', '2606:2800:220:1::'))).resolves.toBeUndefined();
  });

  it('refuses localhost names without asking a resolver', async () => {
    const resolverNeverAsked: Resolve = () => Promise.reject(new Error('resolver asked'));
    await expect(assertPublicHost('api.localhost', nobodyAllowed, resolverNeverAsked)).rejects.toThrow('api.localhost is a loopback address');
    await expect(assertPublicHost('LOCALHOST.', nobodyAllowed, resolverNeverAsked)).rejects.toBeInstanceOf(BlockedAddressError);
  });

  it('lets allow-listed names and addresses through, and nothing else', async () => {
    const allow = new HostAllowList([' Receiver.Test ', '[::1]', '127.0.0.1']);
    await expect(assertPublicHost('receiver.test', allow, resolvesTo('10.0.0.5'))).resolves.toBeUndefined();
    await expect(assertPublicHost('[::1]', allow)).resolves.toBeUndefined();
    await expect(assertPublicHost('localhost', allow, resolvesTo('127.0.0.1'))).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(assertPublicHost('127.0.0.2', allow)).rejects.toThrow('127.0.0.2 is a loopback address');
    await expect(assertPublicHost('dev.test', allow, resolvesTo('127.0.0.1'))).resolves.toBeUndefined();
  });
});

describe('connectionGuard', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = (host: string, allow: HostAllowList, resolve: Resolve) =>
    new Promise<string>((done, fail) => {
      const req = request({ host, port, agent: false, lookup: connectionGuard(host, allow, resolve) }, (res) => {
        res.setEncoding('utf8');
        let body = '';
        res.on('data', (chunk: string) => (body += chunk)).on('end', () => done(body));
      });
      req.on('error', fail).end();
    });

  it('refuses to connect when the name resolves to a blocked address at connection time', async () => {
    await expect(get('rebinding.example.com', nobodyAllowed, resolvesTo('127.0.0.1'))).rejects.toThrow(
      'rebinding.example.com resolves to 127.0.0.1, a loopback address',
    );
  });

  it('refuses a blocked IP literal before any connection, since Node would not ask lookup', () => {
    expect(() => connectionGuard('[::ffff:7f00:1]', nobodyAllowed)).toThrow('::ffff:7f00:1 is a loopback (embeds 127.0.0.1) address');
    expect(() => connectionGuard('93.184.216.34', nobodyAllowed)).not.toThrow();
  });

  it('connects when the resolved address is allow-listed', async () => {
    await expect(get('receiver.example.com', new HostAllowList(['127.0.0.1']), resolvesTo('127.0.0.1'))).resolves.toBe('reached');
  });
});
