import type { NodeProcess } from '../support/processes.js';
import { deletePrefix, uniquePrefix } from '../support/redis-keys.js';
import { startCeilingServer } from './ceiling-server.js';

/**
 * The plain Express server answering a fixed body, started as its own process. Given a Redis, it
 * is the floor of a cache hit: each answer kept there first, in one command (see the server).
 */
export class PlainExpressServer {
  private constructor(
    readonly url: string,
    private readonly server: NodeProcess,
    private readonly kept?: { redisUrl: string; prefix: string },
  ) {}

  static async start(answer: string, timeoutMs: number, redisUrl?: string): Promise<PlainExpressServer> {
    const kept = redisUrl ? { redisUrl, prefix: uniquePrefix('plain-floor') } : undefined;
    const env = { ANSWER: answer, ...(kept ? { REDIS_URL: kept.redisUrl, QUEUE_PREFIX: kept.prefix } : {}) };
    const label = kept ? 'plain Express + one Redis round trip' : 'plain Express server';
    const { url, server } = await startCeilingServer(label, './plain-express-server.js', env, timeoutMs);
    return new PlainExpressServer(url, server, kept);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    if (this.kept) await deletePrefix(this.kept.redisUrl, this.kept.prefix);
  }
}
