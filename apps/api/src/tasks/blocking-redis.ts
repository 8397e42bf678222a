import { Redis } from 'ioredis';
import { connectRedis, type RedisClient } from '@trainyard/shared/platform';

/**
 * Connections for blocking reads (XREAD BLOCK holds its connection, and the API's shared
 * connection fails commands after 2 s). Each event stream, and each task queue's completions
 * reader (TaskCompletions), takes one of its own; when it is done the connection goes back to a
 * small idle set, so the next follower skips the connect. A connection dropped mid-read (the
 * client left) is closed, never reused.
 */
export interface BlockingConnections {
  acquire(): Promise<RedisClient>;
  release(connection: RedisClient): void;
  close(): void;
}

/**
 * In CLIENT LIST a connection in use is named `name`, an idle one `${name}-idle`, so operators (and
 * tests) can count open followers. The renames are not awaited: they go out ahead of the next command.
 * On a cluster, whose node connections open as the reads need them, every one keeps `name`.
 */
export function blockingConnections(url: string, name: string, maxIdle = 8): BlockingConnections {
  const idle: RedisClient[] = [];
  const open = async () => {
    const connection = connectRedis(url, {
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
  const rename = (connection: RedisClient, to: string) => {
    if (connection instanceof Redis) void connection.client('SETNAME', to).catch(() => connection.disconnect());
  };

  return {
    async acquire() {
      let reused: RedisClient | undefined;
      while ((reused = idle.pop())) {
        if (reused.status !== 'ready') continue;
        rename(reused, name);
        return reused;
      }
      return open();
    },
    release(connection) {
      if (connection.status !== 'ready' || idle.length >= maxIdle) return void connection.disconnect();
      rename(connection, `${name}-idle`);
      idle.push(connection);
    },
    close() {
      for (const connection of idle.splice(0)) connection.disconnect();
    },
  };
}
