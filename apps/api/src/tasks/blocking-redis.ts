import { Redis } from 'ioredis';

/** Opens a connection of the caller's own, ready for blocking reads; the caller disconnects it. */
export type OpenBlockingConnection = () => Promise<Redis>;

/**
 * One connection per waiting request or event stream: XREAD BLOCK holds its connection, and the
 * API's shared connection fails commands after 2 s. A dropped connection is not retried: the
 * request ends and the client asks again (an event stream resumes from Last-Event-ID).
 * `name` shows in CLIENT LIST, so operators (and tests) can count open followers.
 */
export function blockingConnections(url: string, name: string): OpenBlockingConnection {
  return async () => {
    const connection = new Redis(url, {
      connectionName: name,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      retryStrategy: () => null,
    });
    connection.on('error', () => {});
    await connection.connect();
    return connection;
  };
}
