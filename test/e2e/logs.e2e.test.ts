import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { submit, tempStorage, trainIris } from '@trainyard/test-support/stack';
import { startTerminal } from '@trainyard/test-support/terminal';

const root = resolve(import.meta.dirname, '../..');
const prefix = testPrefix('logs');
const storage = tempStorage('logs');
const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
let api: RunningProcess & { url: string };
let worker: RunningProcess;

beforeAll(async () => {
  [api, worker] = await Promise.all([startApi({ ...env, LOG_LEVEL: 'debug' }), startWorker(env)]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
});

const json = (lines: string[]) => lines.flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as Record<string, unknown>] : []));

describe('logs', () => {
  it('are JSON lines away from a terminal, the API’s request lines carrying task_id', async () => {
    const taskId = await submit(api.url, '/v1/train', trainIris('logged', { epochs: 5 }));
    await waitForTask(api.url, taskId);
    await request(`${api.url}/v1/tasks/${taskId}`);
    await api.waitForLine(new RegExp(`"route":"/v1/tasks/:taskId".*"task_id":"${taskId}"`));
    expect(api.lines.every((line) => line.startsWith('{'))).toBe(true);
    const requests = json(api.lines).filter((line) => line.msg === 'request');
    expect(requests).toContainEqual(expect.objectContaining({ method: 'POST', route: '/v1/train', status: 202, task_id: taskId }));
    expect(requests).toContainEqual(expect.objectContaining({ method: 'GET', route: '/v1/tasks/:taskId', status: 200, task_id: taskId }));
  });

  it('carry task_id on the worker’s lines about a task', async () => {
    const taskId = await submit(api.url, '/v1/train', { ...trainIris('broken'), dataset: { name: 'iris', target: 'no_such_column' } });
    expect((await waitForTask(api.url, taskId)).status).toBe('FAILURE');
    const line = await worker.waitForLine(/"msg":"attempt failed"/);
    expect(JSON.parse(line)).toMatchObject({ task_id: taskId, level: 40 });
  });

  it('are readable lines in a terminal, and JSON again with NODE_ENV=production', async () => {
    const command = `node ${resolve(root, 'apps/worker/dist/main.js')}`;
    const terminalEnv = { ...env, REDIS_URL: redisUrl, WORKER_QUEUES: 'notify' };
    const pretty = await startTerminal(command, { env: terminalEnv, cwd: root, width: 160 });
    try {
      const screen = await pretty.waitFor(/worker ready/, 30_000);
      expect(screen).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: worker ready/m);
      expect(screen).not.toContain('{"level"');
    } finally {
      await pretty.close();
    }
    const production = await startTerminal(command, { env: { ...terminalEnv, NODE_ENV: 'production' }, cwd: root, width: 300 });
    try {
      expect(await production.waitFor(/worker ready/, 30_000)).toMatch(/^\{"level":30,.*"msg":"worker ready"\}$/m);
    } finally {
      await production.close();
    }
  });
});
