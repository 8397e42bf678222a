import type { RequestHandler } from 'express';
import type { Tracing } from '@trainyard/shared/tracing';
import { routeOf, taskIdOf } from './request-facts.js';

/**
 * A server span per request (a child of the caller's traceparent when it sends one), named by
 * method and route template once the answer is out. Queue adds made while it is active carry it
 * to the worker, so a task's trace starts at the request that submitted it.
 */
export function traceRequests(tracing: Tracing): RequestHandler {
  return (req, res, next) => {
    const span = tracing.serve(req.headers);
    res.once('finish', () => {
      const route = routeOf(req);
      const taskId = taskIdOf(req, res);
      const attributes = { 'http.request.method': req.method, 'http.route': route, 'http.response.status_code': res.statusCode };
      span.end(`${req.method} ${route}`, taskId ? { ...attributes, 'trainyard.task_id': taskId } : attributes, res.statusCode >= 500);
    });
    span.run(next);
  };
}
