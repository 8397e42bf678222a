import type { Request, RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError, InvalidRequestError } from '@trainyard/shared/platform';

/** Parses the JSON body with a zod schema; the parsed (defaulted, coerced) value is what handlers use. */
export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  return parseValue(schema, req.body);
}

/** Parses a value built from the request; a failure is a 400 naming each bad path. */
export function parseValue<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
  const first = issues[0]!;
  throw new InvalidRequestError(`${first.path}: ${first.message}`, issues);
}

/** POST bodies must be JSON: another media type is a 415, a missing body a 400. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const empty = req.headers['content-length'] === '0' || req.is('application/json') === null;
  if (empty) throw new InvalidRequestError('a JSON request body is required');
  if (!req.is('application/json')) throw new AppError('unsupported_media_type', 'the request body must be application/json');
  next();
};
