import { Redis } from 'ioredis';
import type { RedisClient } from './redis.js';

/**
 * Sends the commands given to a connection within one turn of the event loop in one socket write:
 * the first command of a turn corks the socket, and it is uncorked once the turn's I/O callbacks
 * have run (setImmediate). Under concurrent requests that is one write system call for the
 * commands of all of them, where each command was one; a lone command leaves in the same turn, and
 * unlike ioredis' auto-pipelining no command waits for the replies of those before it. Standalone
 * servers only (a cluster client writes to one socket per node).
 */
export function coalesceWrites(redis: RedisClient): void {
  if (!(redis instanceof Redis)) return;
  const send = redis.sendCommand.bind(redis);
  let corked: Redis['stream'] | null = null;
  redis.sendCommand = (command, stream) => {
    const socket = redis.stream;
    if (!corked && redis.status === 'ready' && socket?.writable) {
      corked = socket;
      socket.cork();
      setImmediate(() => {
        corked = null;
        socket.uncork();
      });
    }
    return send(command, stream);
  };
}
