import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { startProcess } from '@trainyard/test-support/processes';

/** Starts a process with a bad setting and returns its exit code and everything it printed. */
async function exitOf(entry: 'api' | 'worker', env: Record<string, string>) {
  const process = startProcess(entry, env);
  const [code] = await once(process.child, 'exit');
  return { code: code as number | null, output: process.lines.join('\n') };
}

describe.concurrent('a bad configuration value', () => {
  it.each([
    ['api', { PORT: 'abc' }, /PORT/],
    ['api', { TASK_RETENTION_S: '-5' }, /TASK_RETENTION_S/],
    ['api', { BOARD_USER: 'ops' }, /BOARD_PASSWORD: set BOARD_USER and BOARD_PASSWORD together/],
    ['api', { AUTH: 'off' }, /AUTH: AUTH=off .* only on loopback: set HOST=127\.0\.0\.1/],
    ['api', { AUTH: 'off', HOST: '0.0.0.0' }, /AUTH: AUTH=off .* only on loopback/],
    ['api', { AUTH: 'maybe' }, /AUTH/],
    ['api', { BOOTSTRAP_API_KEY: 'hunter2' }, /BOOTSTRAP_API_KEY: ty_ and 43 base64url characters/],
    ['api', { RATE_LIMIT_SUBMITS: '0' }, /RATE_LIMIT_SUBMITS/],
    ['api', { BOARD_READ_ONLY: 'sometimes' }, /BOARD_READ_ONLY/],
    ['worker', { WORKER_QUEUES: 'nope' }, /WORKER_QUEUES/],
    ['worker', { WORKER_SHARDS: '0,x' }, /WORKER_SHARDS/],
    ['api', { QUEUE_SHARDS: '0' }, /QUEUE_SHARDS/],
    ['worker', { REDIS_URL: 'http://127.0.0.1:6379' }, /REDIS_URL/],
  ] as const)('%s with %o exits 1 naming the variable', async (entry, env, named) => {
    const { code, output } = await exitOf(entry, env);
    expect(code).toBe(1);
    expect(output).toMatch(/invalid configuration/);
    expect(output).toMatch(named);
    expect(output).not.toMatch(/\n\s+at /);
  });
});
