import type { RequestHandler } from 'express';
import type { Logger } from '@trainyard/shared/platform';
import { routeOf, taskIdOf } from './request-facts.js';

/**
 * One line per request at debug level (LOG_LEVEL=debug), with its `task_id` where there is one.
 * At other levels there is none (null) and nothing is installed, so no request passes through it.
 */
export function logRequests(log: Logger): RequestHandler | null {
  if (!log.isLevelEnabled('debug')) return null;
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const taskId = taskIdOf(req, res);
      const ms = Math.round((performance.now() - started) * 100) / 100;
      log.debug({ method: req.method, route: routeOf(req), status: res.statusCode, ms, ...(taskId ? { task_id: taskId } : {}) }, 'request');
    });
    next();
  };
}
