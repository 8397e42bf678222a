import express, { type Express } from 'express';

/**
 * The part every ceiling server shares, in its own process: Express parsing JSON, a /health route
 * for startCeilingServer, and SIGTERM closing the server (then `close`) before exiting.
 */
export function serveCeiling(port: number, routes: (app: Express) => void, close: () => Promise<void> = async () => {}): void {
  const app = express();
  app.use(express.json());
  routes(app);
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const server = app.listen(port, '127.0.0.1');
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void close().then(() => process.exit(0));
  });
}
