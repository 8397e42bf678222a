import type { NodeProcess } from '../support/processes.js';
import { startCeilingServer } from './ceiling-server.js';

/**
 * The bare HTTP front of the idle-latency floor (submit, read a task's state, wait for it), started
 * as its own process on a no-op worker's prefix: that worker runs its jobs, and owns the prefix's keys.
 * With `guarantees`, it admits and queues as ours does, for the guarantees floor's worker.
 */
export class BareTaskServer {
  private constructor(
    readonly url: string,
    private readonly server: NodeProcess,
  ) {}

  static async start(redisUrl: string, prefix: string, timeoutMs: number, guarantees = false): Promise<BareTaskServer> {
    const label = guarantees ? 'bare HTTP front of admitted tasks' : 'bare HTTP front of tasks';
    const env = { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, GUARANTEES: guarantees ? '1' : '0' };
    const { url, server } = await startCeilingServer(label, './bare-task-server.js', env, timeoutMs);
    return new BareTaskServer(url, server);
  }

  cpuSeconds(): number {
    return this.server.cpuSeconds();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
