import { Router, type Response } from 'express';
import { InvalidRequestError, NotFoundError, type Logger } from '@trainyard/shared/platform';
import { compareEventIds, terminalStatuses, type LoggedTaskEvent, type TaskEvent, type TaskResource } from '@trainyard/shared/tasks';
import type { Access } from '../auth/access.js';
import { principalOf } from '../auth/principal.js';
import { seenOf, tellSeen, type ReplicaReads } from '../reads/replica-reads.js';
import type { Closing } from '../http/closing.js';
import { readTask, type ReadTaskDeps } from './read-task.js';
import type { TaskFollower } from './task-follower.js';

export interface TaskEventsDeps extends ReadTaskDeps {
  access: Access;
  followers: TaskFollower;
  /** When the API stops, open streams end; clients resume elsewhere with Last-Event-ID. */
  closing: Closing;
  log: Logger;
  /** A comment line after this long without an event keeps proxies from closing an idle stream. */
  heartbeatMs: number;
  /** The opening (state or replay) is read from a replica when one can answer it; following is on the primary. */
  reads: ReplicaReads<ReadTaskDeps>;
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
 * that id. Either way it follows the log until a final status, through the process' multiplexed
 * follower. A finished task with nothing after Last-Event-ID answers 204, which tells a browser
 * to stop reconnecting.
 */
export function taskEventsRouter(deps: TaskEventsDeps): Router {
  const router = Router();

  router.get('/v1/tasks/:taskId/events', deps.access.requires('read'), async (req, res) => {
    const taskId = String(req.params.taskId);
    const { tenant, keyId } = principalOf(req);
    const resumeAfter = lastEventId(req.get('last-event-id'));
    const read = await deps.reads.read(seenOf(req), (side) => readOpening(side, taskId, tenant, resumeAfter), ({ reaches }) => reaches);
    const { task, logged, reaches } = read.value;
    const finished = terminalStatuses.has(task.status);
    let opening: Message[];
    if (resumeAfter === undefined) {
      opening = openingMessages(task, logged);
    } else {
      if (!logged.length && finished) return void res.status(204).end();
      if (!reaches) {
        throw new InvalidRequestError("Last-Event-ID is past the end of this task's event log", [{ path: 'Last-Event-ID', message: 'not an id this stream sent' }]);
      }
      opening = logged;
    }
    const ends = opening.some(({ event }) => isTerminal(event));
    if (finished && !ends) opening.push(finalMessage(task));
    const follow = finished ? null : deps.followers.follow(deps.events.key(taskId), logged.at(-1)?.id ?? resumeAfter ?? '0-0', keyId ?? 'anonymous');

    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const { signal: ended, release } = deps.closing.withSignal(gone.signal);
    const hangUp = () => follow?.close();
    if (ended.aborted) hangUp();
    else ended.addEventListener('abort', hangUp, { once: true });
    tellSeen(res, read.seen);
    openStream(res);

    try {
      opening.forEach((message) => send(res, taskId, message));
      if (!follow || opening.some(({ event }) => isTerminal(event))) return;
      let after = logged.at(-1)?.id ?? resumeAfter ?? '0-0';
      while (!ended.aborted) {
        const fresh = await follow.next(deps.heartbeatMs);
        for (const { id, event } of fresh) {
          send(res, taskId, { id, event });
          if (isTerminal(event)) return;
        }
        after = fresh.at(-1)?.id ?? after;
        if (fresh.length || ended.aborted) continue;
        res.write(': heartbeat\n\n');
        const ending = await endTheLogMissed(deps, taskId, tenant, after);
        if (ending) return send(res, taskId, ending);
      }
    } catch (error) {
      // A closed client or Redis connection ends the stream; the client resumes with Last-Event-ID.
      if (!ended.aborted) deps.log.warn({ err: error, task_id: taskId }, 'event stream ended early');
    } finally {
      ended.removeEventListener('abort', hangUp);
      release();
      follow?.close();
      res.end();
    }
  });

  return router;
}

interface Opening {
  task: TaskResource;
  /** The log after Last-Event-ID (all of it without one). */
  logged: LoggedTaskEvent[];
  /** The log reaches Last-Event-ID: a replica whose log does not has yet to apply it. */
  reaches: boolean;
}

async function readOpening(deps: ReadTaskDeps, taskId: string, tenant: string, resumeAfter: string | undefined): Promise<Opening> {
  const task = await readTask(deps, taskId, tenant);
  const logged = await deps.events.read(taskId, resumeAfter);
  const reaches = resumeAfter === undefined || logged.length > 0 || compareEventIds(resumeAfter, await deps.events.lastId(taskId)) <= 0;
  return { task, logged, reaches };
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
async function endTheLogMissed(deps: ReadTaskDeps, taskId: string, tenant: string, after: string): Promise<Message | null> {
  const task = await readTask(deps, taskId, tenant).catch((error: unknown) => {
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

function send(res: Response, taskId: string, message: Message): void {
  writeEvent(res, message, { task_id: taskId });
}

/** Writes one SSE message: the event's type as its name, its fields (progress flattened) after `about` as its data. */
export function writeEvent(res: Response, { id, event }: Message, about: object): void {
  const { type, ...fields } = event;
  const data = type === 'progress' ? { ...about, ...event.progress, at: event.at } : { ...about, ...fields };
  res.write(`${id ? `id: ${id}\n` : ''}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Opens an SSE answer. */
export function openStream(res: Response): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
}

/** Checks a Last-Event-ID header: absent, or a stream id (400 otherwise). */
export function lastEventId(value: string | undefined): string | undefined {
  if (value !== undefined && !streamId.test(value)) {
    throw new InvalidRequestError('Last-Event-ID is not an id this stream sent', [{ path: 'Last-Event-ID', message: 'expected <ms>-<seq>' }]);
  }
  return value;
}
