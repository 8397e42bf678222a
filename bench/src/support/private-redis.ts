import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { freePort } from './http.js';
import { waitFor, within } from './wait.js';

/** Where Redis' command statistics and CPU time are read; see redisWork(). */
export interface RedisCounters {
  /** Calls per command (`cmdstat_*`), commands that scripts called included. */
  calls: Record<string, number>;
  /** µs spent per command (`cmdstat_*` usec): a script's time counts again in each command it called. */
  usec: Record<string, number>;
  /** used_cpu_user + used_cpu_sys of the server process, in µs. */
  cpuMicros: number;
}

/**
 * A redis-server of the bench's own on a free port: nothing else runs on it, so the bench may reset
 * and read its statistics (CONFIG RESETSTAT), which it must never do on a shared Redis. Stopped
 * with the bench; nothing is kept on disk.
 */
export class PrivateRedis {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly admin: Redis,
  ) {}

  static async start(timeoutMs: number): Promise<PrivateRedis> {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], {
      stdio: 'ignore',
    });
    const failed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`redis-server could not start: ${error.message}`))));
    const url = `redis://127.0.0.1:${port}`;
    const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
    await Promise.race([failed, waitFor('the private redis-server', async () => (await admin.ping()) === 'PONG', { timeoutMs })]);
    return new PrivateRedis(url, child, admin);
  }

  /** Starts a measurement: every counter back to zero. */
  async resetCounters(): Promise<void> {
    await this.admin.config('RESETSTAT');
  }

  async counters(): Promise<RedisCounters> {
    const [stats, cpu] = (await Promise.all([this.admin.info('commandstats'), this.admin.info('cpu')])) as [string, string];
    const commands = [...stats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)];
    const calls = Object.fromEntries(commands.map(([, name, count]) => [name!, Number(count)]));
    const usec = Object.fromEntries(commands.map(([, name, , micros]) => [name!, Number(micros)]));
    const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
    return { calls, usec, cpuMicros: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6 };
  }

  async stop(): Promise<void> {
    this.admin.disconnect();
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await within('redis-server to exit', 10_000, exited).catch(() => this.child.kill('SIGKILL'));
  }
}
