import type { NodeProcess } from '../support/processes.js';
import { startCeilingServer } from './ceiling-server.js';

/**
 * The bare HTTP front of the idle-latency floor (submit, read a task's state, wait for it), started
 * as its own process on a no-op worker's prefix: that worker runs its jobs, and owns the prefix's keys.
 */
export class BareTaskServer {
  private constructor(
    readonly url: string,
    private readonly server: NodeProcess,
  ) {}

  static async start(redisUrl: string, prefix: string, timeoutMs: number): Promise<BareTaskServer> {
    const { url, server } = await startCeilingServer('bare HTTP front of tasks', './bare-task-server.js', { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix }, timeoutMs);
    return new BareTaskServer(url, server);
  }

  cpuSeconds(): number {
    return this.server.cpuSeconds();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
