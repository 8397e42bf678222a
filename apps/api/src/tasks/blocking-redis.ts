import { Redis } from 'ioredis';

/**
 * Connections for blocking reads (XREAD BLOCK holds its connection, and the API's shared
 * connection fails commands after 2 s). Each event stream, and each task queue's completions
 * reader (TaskCompletions), takes one of its own; when it is done the connection goes back to a
 * small idle set, so the next follower skips the connect. A connection dropped mid-read (the
 * client left) is closed, never reused.
 */
export interface BlockingConnections {
  acquire(): Promise<Redis>;
  release(connection: Redis): void;
  close(): void;
}

/**
 * In CLIENT LIST a connection in use is named `name`, an idle one `${name}-idle`, so operators (and
 * tests) can count open followers. The renames are not awaited: they go out ahead of the next command.
 */
export function blockingConnections(url: string, name: string, maxIdle = 8): BlockingConnections {
  const idle: Redis[] = [];
  const open = async () => {
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
  const rename = (connection: Redis, to: string) => void connection.client('SETNAME', to).catch(() => connection.disconnect());

  return {
    async acquire() {
      let reused: Redis | undefined;
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
