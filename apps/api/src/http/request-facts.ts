import type { Request, Response } from 'express';

/** The route template a request matched (`/v1/tasks/:taskId`), never its path: logs and metrics group by it. */
export function routeOf(req: Request): string {
  return req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
}

const taskIdInPath = /\/((?:train|predict)(?:-s[1-9]\d?)?-[0-9a-f]{32})(?:\/|$)/;

/** The task a request is about: the one it created (set by the submit) or the one its path names. */
export function taskIdOf(req: Request, res: Response): string | undefined {
  return (res.locals.taskId as string | undefined) ?? taskIdInPath.exec(req.path)?.[1];
}
