import type { z } from 'zod';
import { InvalidRequestError } from '@trainyard/shared/platform';

/** Checks one path parameter; a bad one is a 400 naming the parameter, never a lookup. */
export function parseParam<S extends z.ZodType>(schema: S, value: unknown, name: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const message = result.error.issues[0]?.message ?? 'is invalid';
  throw new InvalidRequestError(`${name}: ${message}`, [{ path: name, message }]);
}
