import { createLogger, readConfig, untilSignalled } from '@trainyard/shared/platform';
import { loadConfig } from './config.js';
import { startApi } from './service.js';

// The API's entry point: the only place that reads the environment and ends the process.
const config = readConfig('api', () => loadConfig(process.env)) ?? process.exit(1);
const log = createLogger('api', config.LOG_LEVEL);
await untilSignalled(await startApi(config, { log, onFatal: () => process.exit(1) }), log);
process.exit(0);
