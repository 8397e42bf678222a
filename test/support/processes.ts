import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll } from 'vitest';
import { apiNodeFlags } from '../../scripts/processes.js';
import { testAdminKey } from './auth.js';
import { redisUrl } from './redis.js';

const root = resolve(import.meta.dirname, '../..');

export interface RunningProcess {
  child: ChildProcess;
  /** Every log line the process printed so far. */
  lines: string[];
  /** Resolves with the first line matching, waiting up to timeoutMs. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Every process started here and still running: killed after the test file's own hooks, so a setup
 * that failed halfway (its processes never assigned, never stopped) leaves none behind.
 */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts one of the platform's built entry points as a real child process, as a user would. */
export function startProcess(entry: 'api' | 'worker', env: Record<string, string>): RunningProcess {
  const nodeFlags = entry === 'api' ? apiNodeFlags : [];
  const child = spawn(process.execPath, [...nodeFlags, `apps/${entry}/dist/main.js`], {
    cwd: root,
    env: { PATH: process.env.PATH, REDIS_URL: redisUrl, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    });
  }
  running.add(child);
  const exited = once(child, 'exit').then(([code]) => {
    running.delete(child);
    return code as number | null;
  });
  return {
    child,
    lines,
    waitForLine(pattern, timeoutMs = 20_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${entry}: no line matching ${pattern} within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)), timeoutMs);
        waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
        exited.then((code) => reject(new Error(`${entry} exited with ${code}:\n${lines.slice(-20).join('\n')}`)));
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Starts the API on a free port, with the test admin key (auth.ts), and returns its base URL once it listens. */
export async function startApi(env: Record<string, string>): Promise<RunningProcess & { url: string }> {
  const api = startProcess('api', { PORT: '0', BOOTSTRAP_API_KEY: testAdminKey, ...env });
  const line = await api.waitForLine(/api listening/);
  const { port } = JSON.parse(line) as { port: number };
  return Object.assign(api, { url: `http://127.0.0.1:${port}` });
}

export async function startWorker(env: Record<string, string>): Promise<RunningProcess> {
  const worker = startProcess('worker', env);
  await worker.waitForLine(/worker ready/, 30_000);
  return worker;
}
