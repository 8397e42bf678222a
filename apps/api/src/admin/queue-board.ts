import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { RequestHandler, Router } from 'express';
import { AppError } from '@trainyard/shared/platform';
import { sendError } from '../http/error-handler.js';

export const boardPath = '/admin/queues';

export interface BoardCredentials {
  user: string;
  password: string;
}

/** Bull Board over the task queues, behind HTTP basic auth when credentials are configured. */
export function queueBoard(queues: Queue[], credentials?: BoardCredentials): RequestHandler[] {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(boardPath);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
  const board = serverAdapter.getRouter() as Router;
  return credentials ? [basicAuth(credentials), board] : [board];
}

function basicAuth({ user, password }: BoardCredentials): RequestHandler {
  const expected = Buffer.from(`Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
  return (req, res, next) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    res.set('WWW-Authenticate', 'Basic realm="Trainyard queues", charset="UTF-8"');
    sendError(res, new AppError('unauthorized', 'Bull Board needs a user name and password'));
  };
}
