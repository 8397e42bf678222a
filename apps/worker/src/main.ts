import { ConfigError, createLogger } from '@trainyard/shared/platform';
import { loadConfig, type WorkerConfig } from './config.js';
import { startWorker } from './service.js';

// The worker's entry point: the only place that reads the environment and exits the process.
let config: WorkerConfig;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`worker: ${error.message}`);
  process.exit(1);
}

const log = createLogger('worker', config.LOG_LEVEL);
process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
const worker = await startWorker(config, { log, onFatal: () => process.exit(1) });
const shutdown = (signal: NodeJS.Signals) => {
  log.info({ signal }, 'shutting down');
  void worker.stop().then(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
