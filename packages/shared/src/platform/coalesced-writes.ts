import { Redis } from 'ioredis';
import type { RedisClient } from './redis.js';

/**
 * How long a connection's commands gather before they leave in one write. `turn`: until the
 * turn's I/O callbacks have run, so the commands of concurrent requests share a write. `callback`:
 * until the promise callbacks that the current callback set off have run, so a command that
 * follows another through promises shares its write (a worker's outcome batch and BullMQ's
 * completion of the job after it) with no extra turn of the event loop before it leaves.
 */
export type CoalesceUntil = 'turn' | 'callback';

/** A nextTick queued from a microtask runs once the microtask queue is empty, newer ones included. */
const afterPromiseCallbacks = (run: () => void) => queueMicrotask(() => process.nextTick(run));

/**
 * Sends the commands given to a connection within one turn of the event loop in one socket write:
 * the first command of a turn corks the socket, and it is uncorked once the turn's I/O callbacks
 * have run (setImmediate). Under concurrent requests that is one write system call for the
 * commands of all of them, where each command was one; a lone command leaves in the same turn, and
 * unlike ioredis' auto-pipelining no command waits for the replies of those before it. Standalone
 * servers only (a cluster client writes to one socket per node).
 */
export function coalesceWrites(redis: RedisClient, until: CoalesceUntil = 'turn'): void {
  if (!(redis instanceof Redis)) return;
  const later = until === 'turn' ? setImmediate : afterPromiseCallbacks;
  const send = redis.sendCommand.bind(redis);
  let corked: Redis['stream'] | null = null;
  redis.sendCommand = (command, stream) => {
    const socket = redis.stream;
    if (!corked && redis.status === 'ready' && socket?.writable) {
      corked = socket;
      socket.cork();
      later(() => {
        corked = null;
        socket.uncork();
      });
    }
    return send(command, stream);
  };
}
