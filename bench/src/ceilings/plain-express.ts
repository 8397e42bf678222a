import { fileURLToPath } from 'node:url';
import { freePort, JsonClient } from '../support/http.js';
import { NodeProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/** The plain Express server answering a fixed body, started as its own process. */
export class PlainExpressServer {
  private constructor(
    readonly url: string,
    private readonly server: NodeProcess,
  ) {}

  static async start(answer: string, timeoutMs: number): Promise<PlainExpressServer> {
    const port = await freePort();
    const server = NodeProcess.start({
      label: 'plain Express server',
      script: fileURLToPath(new URL('./plain-express-server.js', import.meta.url)),
      env: { PORT: String(port), ANSWER: answer },
    });
    const plain = new PlainExpressServer(`http://127.0.0.1:${port}`, server);
    const client = new JsonClient(plain.url);
    try {
      await waitFor('the plain server to listen', async () => (await client.get('/health')).status === 200, {
        timeoutMs,
        giveUpIf: () => server.assertRunning(),
      });
    } catch (error) {
      await plain.stop();
      throw error;
    } finally {
      client.close();
    }
    return plain;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
