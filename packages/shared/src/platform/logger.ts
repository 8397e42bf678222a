import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines, or readable lines in a terminal (stdout a TTY, NODE_ENV not production). pino-pretty
 * is loaded only then, and writes synchronously: no transport thread for a developer's console.
 */
export function createLogger(service: string, level = 'info'): Logger {
  const options = { name: service, level, base: { service, pid: process.pid } };
  if (!process.stdout.isTTY || process.env.NODE_ENV === 'production') return pino(options);
  const pretty = createRequire(import.meta.url)('pino-pretty') as (options: object) => DestinationStream;
  return pino(options, pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }));
}
