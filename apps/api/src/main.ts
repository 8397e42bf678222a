import { ConfigError, createLogger } from '@trainyard/shared/platform';
import { loadConfig, type ApiConfig } from './config.js';
import { startApi } from './service.js';

// The API's entry point: the only place that reads the environment and exits the process.
let config: ApiConfig;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`api: ${error.message}`);
  process.exit(1);
}

const log = createLogger('api', config.LOG_LEVEL);
process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
const api = await startApi(config, { log, onFatal: () => process.exit(1) });
const shutdown = (signal: NodeJS.Signals) => {
  log.info({ signal }, 'shutting down');
  void api.stop().then(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
