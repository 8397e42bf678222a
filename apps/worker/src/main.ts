import { createLogger, readConfig, untilSignalled } from '@trainyard/shared/platform';
import { loadConfig } from './config.js';
import { startWorker } from './service.js';

// The worker's entry point: the only place that reads the environment and ends the process.
const config = readConfig('worker', () => loadConfig(process.env)) ?? process.exit(1);
const log = createLogger('worker', config.LOG_LEVEL);
await untilSignalled(await startWorker(config, { log, onFatal: () => process.exit(1) }), log);
process.exit(0);
