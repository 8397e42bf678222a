import type { NodeProcess } from '../support/processes.js';
import { obliterateQueue } from '../support/queues.js';
import { deletePrefix, uniquePrefix } from '../support/redis-keys.js';
import { startCeilingServer } from './ceiling-server.js';

/**
 * The bare Express 5 + queue.add server, started as its own process on its own prefix. With
 * `admit`, the floor of our submit path: each task admitted by our admission command first.
 */
export class BareSubmitServer {
  private constructor(
    private readonly redisUrl: string,
    readonly prefix: string,
    readonly url: string,
    private readonly server: NodeProcess,
  ) {}

  static async start(redisUrl: string, timeoutMs: number, admit = false): Promise<BareSubmitServer> {
    const prefix = uniquePrefix(admit ? 'bare-floor' : 'bare');
    const env = { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, ...(admit ? { ADMIT: '1' } : {}) };
    const label = admit ? 'bare Express + admission server' : 'bare Express server';
    const { url, server } = await startCeilingServer(label, './bare-submit-server.js', env, timeoutMs);
    return new BareSubmitServer(redisUrl, prefix, url, server);
  }

  /** Empties its predict queue (nothing drains it). */
  obliterate(): Promise<void> {
    return obliterateQueue(this.redisUrl, this.prefix, 'predict');
  }

  rssBytes(): number {
    return this.server.rssBytes();
  }

  cpuSeconds(): number {
    return this.server.cpuSeconds();
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await deletePrefix(this.redisUrl, this.prefix);
  }
}
