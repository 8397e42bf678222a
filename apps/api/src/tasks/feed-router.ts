import { Router } from 'express';
import { z } from 'zod';
import { modelName } from '@trainyard/shared/platform';
import { compareEventIds, feedMaxEvents, taskTypes, type LoggedTaskEvent } from '@trainyard/shared/tasks';
import { principalOf } from '../auth/principal.js';
import { parseValue } from '../http/validate.js';
import { seenOf, tellSeen } from '../reads/replica-reads.js';
import { lastEventId, openStream, writeEvent, type TaskEventsDeps } from './events-router.js';
import type { ReadTaskDeps } from './read-task.js';

export const feedQuery = z.strictObject({ type: z.enum(taskTypes).optional(), model: modelName.optional() });

/**
 * GET /v1/events: Server-Sent Events of every status change and progress update of the tenant's
 * tasks, live, from its feed (written with each task's own log, TaskEventLog). Each message is the
 * per-task stream's, with the task's id, type and model in its data. Last-Event-ID replays what
 * the feed still holds after that id (its newest feedMaxEvents); without it the stream starts now.
 * It runs until the client or the API goes, with heartbeat comments while nothing happens.
 */
export function feedRouter(deps: TaskEventsDeps): Router {
  const router = Router();

  router.get('/v1/events', deps.access.requires('read'), async (req, res) => {
    const { type, model } = parseValue(feedQuery, req.query);
    const { tenant, keyId } = principalOf(req);
    const resumeAfter = lastEventId(req.get('last-event-id'));
    // A replay may come from a replica whose feed reaches Last-Event-ID: following goes on from its end, on the primary.
    const replayed = resumeAfter === undefined ? null : await deps.reads.read(seenOf(req), (side) => replayFeed(side, tenant, resumeAfter), ({ reaches }) => reaches);
    const replay = replayed?.value.entries ?? [];
    const start = replay.at(-1)?.id ?? resumeAfter ?? (await deps.events.feedLastId(tenant));
    const follow = deps.followers.follow(deps.events.feedKey(tenant), start, keyId ?? 'anonymous');

    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const { signal: ended, release } = deps.closing.withSignal(gone.signal);
    const hangUp = () => follow.close();
    if (ended.aborted) hangUp();
    else ended.addEventListener('abort', hangUp, { once: true });
    tellSeen(res, replayed?.seen);
    openStream(res);

    const wanted = ({ task }: LoggedTaskEvent) => task && (!type || task.type === type) && (!model || task.model === model);
    const send = (entries: LoggedTaskEvent[]) => entries.filter(wanted).forEach((entry) => writeEvent(res, entry, entry.task!));
    try {
      send(replay);
      while (!ended.aborted) {
        const fresh = await follow.next(deps.heartbeatMs);
        if (fresh.length) send(fresh);
        else if (!ended.aborted) res.write(': heartbeat\n\n');
      }
    } catch (error) {
      // A closed client or Redis connection ends the stream; the client resumes with Last-Event-ID.
      if (!ended.aborted) deps.log.warn({ err: error, tenant }, 'task feed ended early');
    } finally {
      ended.removeEventListener('abort', hangUp);
      release();
      follow.close();
      res.end();
    }
  });

  return router;
}

/** The feed after Last-Event-ID, and whether the feed read reaches that id (a lagging replica's may not). */
async function replayFeed({ events }: ReadTaskDeps, tenant: string, after: string): Promise<{ entries: LoggedTaskEvent[]; reaches: boolean }> {
  const entries = await events.readFeed(tenant, after, feedMaxEvents);
  return { entries, reaches: entries.length > 0 || compareEventIds(after, await events.feedLastId(tenant)) <= 0 };
}
