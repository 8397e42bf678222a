import type { NodeProcess } from '../support/processes.js';
import { startCeilingServer } from './ceiling-server.js';

/** The plain Express server answering a fixed body, started as its own process. */
export class PlainExpressServer {
  private constructor(
    readonly url: string,
    private readonly server: NodeProcess,
  ) {}

  static async start(answer: string, timeoutMs: number): Promise<PlainExpressServer> {
    const { url, server } = await startCeilingServer('plain Express server', './plain-express-server.js', { ANSWER: answer }, timeoutMs);
    return new PlainExpressServer(url, server);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
