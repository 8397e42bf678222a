import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Express, RequestHandler } from 'express';
import type { ShardQueue } from '@trainyard/shared/jobs';
import { AppError } from '@trainyard/shared/platform';
import type { Authenticator } from '../auth/authenticator.js';
import { grants } from '../auth/principal.js';
import { sendError } from '../http/error-handler.js';

export const boardPath = '/admin/queues';

export interface BoardCredentials {
  user: string;
  password: string;
}

export interface BoardAccess {
  /** BOARD_USER and BOARD_PASSWORD, when set. */
  credentials?: BoardCredentials;
  /** With authentication on, any user name and an admin API key as the password open the board too. */
  keys: Authenticator | null;
  /** BOARD_READ_ONLY: the board shows, but retries, promotes, cleans, pauses and adds nothing. */
  readOnly: boolean;
}

/**
 * Bull Board over the task queues, always behind HTTP basic auth; null when nothing could open it
 * (no BOARD_USER/BOARD_PASSWORD and authentication off), so it is not mounted at all. A queue of
 * shard n > 0 (QUEUE_SHARDS) is listed as `s<n>-<queue>`: the board tells queues apart by name.
 */
export function queueBoard(queues: ShardQueue[], access: BoardAccess): RequestHandler[] | null {
  if (!access.credentials && !access.keys) return null;
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(boardPath);
  const adapter = ({ queue, shard }: ShardQueue) =>
    new BullMQAdapter(queue, { readOnlyMode: access.readOnly, ...(shard ? { prefix: `s${shard}-`, displayName: `${queue.name} (shard ${shard})` } : {}) });
  createBullBoard({ queues: queues.map(adapter), serverAdapter });
  // The board is an Express app of its own, which would announce itself in X-Powered-By.
  const board = serverAdapter.getRouter() as Express;
  board.disable('x-powered-by');
  return access.readOnly ? [basicAuth(access), readOnly, board] : [basicAuth(access), board];
}

function basicAuth({ credentials, keys }: BoardAccess): RequestHandler {
  const expected = credentials && Buffer.from(`${credentials.user}:${credentials.password}`);
  return async (req, res, next) => {
    const given = /^Basic +([A-Za-z0-9+/]+=*)$/i.exec(req.headers.authorization ?? '');
    const pair = Buffer.from(given?.[1] ?? '', 'base64');
    if (expected && pair.length === expected.length && timingSafeEqual(pair, expected)) return next();
    const password = pair.toString('utf8').split(':').slice(1).join(':');
    const principal = keys && password ? await Promise.resolve().then(() => keys.verify(`Bearer ${password}`)).catch(() => null) : null;
    if (principal && grants(principal, 'admin')) return next();
    res.set('WWW-Authenticate', 'Basic realm="Trainyard queues", charset="UTF-8"');
    sendError(res, new AppError('unauthorized', 'Bull Board needs BOARD_USER and BOARD_PASSWORD, or an admin API key as the password'));
  };
}

/** Refuses every action, whatever a board's UI or a hand-made request tries. */
const readOnly: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  sendError(res, new AppError('forbidden', 'Bull Board is read-only here (BOARD_READ_ONLY=false allows actions)'));
};
