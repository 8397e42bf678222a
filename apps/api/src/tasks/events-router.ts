import { Router, type Response } from 'express';
import { InvalidRequestError, NotFoundError, type Logger } from '@trainyard/shared/platform';
import { terminalStatuses, type LoggedTaskEvent, type TaskEvent, type TaskResource } from '@trainyard/shared/tasks';
import type { Closing } from '../http/closing.js';
import type { BlockingConnections } from './blocking-redis.js';
import { readTask, type ReadTaskDeps } from './read-task.js';

export interface TaskEventsDeps extends ReadTaskDeps {
  followers: BlockingConnections;
  /** When the API stops, open streams end; clients resume elsewhere with Last-Event-ID. */
  closing: Closing;
  log: Logger;
  /** A comment line after this long without an event keeps proxies from closing an idle stream. */
  heartbeatMs: number;
}

/** An SSE message; `id` is the event's stream id, which a reconnecting client sends back as Last-Event-ID. */
interface Message {
  id?: string;
  event: TaskEvent;
}

const streamId = /^\d{1,20}-\d{1,20}$/;

const isTerminal = (event: TaskEvent) => event.type === 'status' && terminalStatuses.has(event.status);

/**
 * GET /v1/tasks/{task_id}/events: Server-Sent Events from the task's event log. Without
 * Last-Event-ID the stream opens with the current state; with it, it replays what came after
 * that id. Either way it follows the log until a final status, on a Redis connection of its own
 * that is closed when the stream ends or the client leaves.
 */
export function taskEventsRouter(deps: TaskEventsDeps): Router {
  const router = Router();

  router.get('/v1/tasks/:taskId/events', async (req, res) => {
    const { taskId } = req.params;
    const resumeAfter = req.get('last-event-id');
    if (resumeAfter !== undefined && !streamId.test(resumeAfter)) {
      throw new InvalidRequestError('Last-Event-ID is not an id this stream sent', [{ path: 'Last-Event-ID', message: 'expected <ms>-<seq>' }]);
    }
    const task = await readTask(deps, taskId);
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const { signal: ended, release } = deps.closing.withSignal(gone.signal);
    const connection = await deps.followers.acquire();
    // Also when the client left (or the API began to stop) while the connection was opening.
    const hangUp = () => connection.disconnect();
    if (ended.aborted) hangUp();
    else ended.addEventListener('abort', hangUp, { once: true });
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });

    try {
      let after = resumeAfter;
      if (after === undefined) {
        const logged = await deps.events.read(taskId);
        const opening = openingMessages(task, logged);
        opening.forEach((message) => send(res, taskId, message));
        after = logged.at(-1)?.id ?? '0-0';
        if (opening.some(({ event }) => isTerminal(event))) return;
      }
      while (!ended.aborted) {
        const logged = await deps.events.follow(connection, taskId, after, deps.heartbeatMs);
        for (const { id, event } of logged) {
          send(res, taskId, { id, event });
          if (isTerminal(event)) return;
        }
        after = logged.at(-1)?.id ?? after;
        if (logged.length) continue;
        res.write(': heartbeat\n\n');
        const ending = await endTheLogMissed(deps, taskId, after);
        if (ending) return send(res, taskId, ending);
      }
    } catch (error) {
      // A closed client or Redis connection ends the stream; the client resumes with Last-Event-ID.
      if (!ended.aborted) deps.log.warn({ err: error, task_id: taskId }, 'event stream ended early');
    } finally {
      ended.removeEventListener('abort', hangUp);
      release();
      deps.followers.release(connection);
      res.end();
    }
  });

  return router;
}

/** The current state: the latest status, then the latest progress if it belongs to that status. */
function openingMessages(task: TaskResource, logged: LoggedTaskEvent[]): Message[] {
  const statusIndex = logged.findLastIndex(({ event }) => event.type === 'status');
  const progressIndex = logged.findLastIndex(({ event }) => event.type === 'progress');
  const messages: Message[] =
    statusIndex >= 0
      ? [logged[statusIndex]!]
      : [{ id: '0-0', event: { type: 'status', status: task.status, attempt: task.attempts, at: task.created_at } }];
  if (progressIndex > statusIndex) messages.push(logged[progressIndex]!);
  // The task ended without the log saying so (a task BullMQ gave up on after stalling): say so.
  if (terminalStatuses.has(task.status) && !messages.some(({ event }) => isTerminal(event))) messages.push(finalMessage(task));
  return messages;
}

/**
 * Between heartbeats, the task itself is checked: one that finished without a final entry in
 * the log, or that expired, still ends the stream.
 */
async function endTheLogMissed(deps: ReadTaskDeps, taskId: string, after: string): Promise<Message | null> {
  const task = await readTask(deps, taskId).catch((error: unknown) => {
    if (error instanceof NotFoundError) return null;
    throw error;
  });
  if (task && !terminalStatuses.has(task.status)) return null;
  const late = (await deps.events.read(taskId, after)).find(({ event }) => isTerminal(event));
  if (late) return late;
  return task ? finalMessage(task) : { event: { type: 'status', status: 'EXPIRED', attempt: 0, at: new Date().toISOString() } };
}

function finalMessage(task: TaskResource): Message {
  const event: TaskEvent = { type: 'status', status: task.status, attempt: task.attempts, at: task.finished_at ?? new Date().toISOString() };
  return { event: task.error ? { ...event, error: task.error } : event };
}

function send(res: Response, taskId: string, { id, event }: Message): void {
  const { type, ...fields } = event;
  const data = type === 'progress' ? { task_id: taskId, ...event.progress, at: event.at } : { task_id: taskId, ...fields };
  res.write(`${id ? `id: ${id}\n` : ''}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}
