import type { AddressInfo } from 'node:net';
import express, { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forMethods } from './for-methods.js';

let url: string;
let close: () => void;
const entered: string[] = [];

beforeAll(async () => {
  const pages = Router();
  pages.use((req, _res, next) => {
    entered.push(req.method);
    next();
  });
  pages.get('/page', (_req, res) => void res.send('page'));
  const app = express();
  app.use(forMethods(['GET', 'HEAD'], pages));
  app.use((req, res) => void res.status(404).send(`nothing for ${req.method}`));
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});

afterAll(() => close());

describe('forMethods', () => {
  it('lets the routers answer their methods, and OPTIONS with their Allow', async () => {
    expect(await (await fetch(`${url}/page`)).text()).toBe('page');
    expect((await fetch(`${url}/page`, { method: 'HEAD' })).status).toBe(200);
    const options = await fetch(`${url}/page`, { method: 'OPTIONS' });
    expect(options.status).toBe(200);
    expect(options.headers.get('allow')).toBe('GET, HEAD');
  });

  it('passes other methods on without entering the routers', async () => {
    entered.length = 0;
    const post = await fetch(`${url}/page`, { method: 'POST' });
    expect(post.status).toBe(404);
    expect(await post.text()).toBe('nothing for POST');
    expect(entered).toEqual([]);
  });
});
