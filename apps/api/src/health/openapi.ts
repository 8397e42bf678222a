import { z } from 'zod';
import { errorBody } from '@trainyard/shared/platform';
import { headers, json, operation, type Paths } from '../openapi/spec.js';

const checks = z.object({ redis: z.string(), storage: z.string() }).describe('Each dependency\'s result: "ok" or what failed.');

export const healthPaths: Paths = {
  '/health': {
    get: operation({
      summary: 'Liveness',
      description: 'The process answers; touches no dependency. Public.',
      tag: 'Health',
      scope: null,
      responses: { '200': json('Alive.', z.object({ status: z.literal('ok') })) },
    }),
  },
  '/ready': {
    get: operation({
      summary: 'Readiness',
      description: 'Whether Redis and object storage both answer. Public.',
      tag: 'Health',
      scope: null,
      responses: {
        '200': json('Ready.', z.object({ status: z.literal('ready'), checks })),
        '503': json('Error `not_ready`: the message and `checks` say what failed.', errorBody.extend({ checks }), { 'Retry-After': headers.retryAfter }),
      },
    }),
  },
};
