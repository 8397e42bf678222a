import { fileURLToPath } from 'node:url';
import { freePort, JsonClient } from '../support/http.js';
import { NodeProcess } from '../support/processes.js';
import { obliterateQueue } from '../support/queues.js';
import { deletePrefix, uniquePrefix } from '../support/redis-keys.js';
import { waitFor } from '../support/wait.js';

/** The bare Express 5 + queue.add server, started as its own process on its own prefix. */
export class BareSubmitServer {
  private constructor(
    private readonly redisUrl: string,
    readonly prefix: string,
    readonly url: string,
    private readonly server: NodeProcess,
  ) {}

  static async start(redisUrl: string, timeoutMs: number): Promise<BareSubmitServer> {
    const prefix = uniquePrefix('bare');
    const port = await freePort();
    const server = NodeProcess.start({
      label: 'bare Express server',
      script: fileURLToPath(new URL('./bare-submit-server.js', import.meta.url)),
      env: { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, PORT: String(port) },
    });
    const bare = new BareSubmitServer(redisUrl, prefix, `http://127.0.0.1:${port}`, server);
    const client = new JsonClient(bare.url);
    try {
      await waitFor('the bare server to listen', async () => (await client.get('/health')).status === 200, {
        timeoutMs,
        giveUpIf: () => server.assertRunning(),
      });
    } catch (error) {
      await bare.stop();
      throw error;
    } finally {
      client.close();
    }
    return bare;
  }

  /** Empties its predict queue (nothing drains it). */
  obliterate(): Promise<void> {
    return obliterateQueue(this.redisUrl, this.prefix, 'predict');
  }

  rssBytes(): number {
    return this.server.rssBytes();
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await deletePrefix(this.redisUrl, this.prefix);
  }
}
