import { ConfigError } from './env.js';
import type { Logger } from './logger.js';

/** An app's configuration from the environment; null after printing a message that names each bad variable. */
export function readConfig<T>(service: string, load: () => T): T | null {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${service}: ${error.message}`);
    return null;
  }
}

/**
 * Resolves once SIGTERM or SIGINT has stopped the service (a second signal changes nothing);
 * unhandled rejections are logged meanwhile. The entry point decides how the process ends.
 */
export function untilSignalled(service: { stop(): Promise<void> }, log: Logger): Promise<void> {
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  return new Promise((stopped) => {
    const shutdown = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'shutting down');
      void service.stop().then(stopped);
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
}
