import { z } from 'zod';
import { modelName } from '@trainyard/shared/platform';
import { errors, json, operation, parameters, type Paths } from '../openapi/spec.js';
import { dropQuery } from './router.js';

export const cachePaths: Paths = {
  '/v1/models/{name}/cache': {
    delete: operation({
      summary: "Drop a model's cached predictions",
      tag: 'Models',
      scope: 'manage',
      parameters: [...parameters('path', { name: modelName }), ...parameters('query', dropQuery.shape)],
      responses: {
        '200': json('How many cached answers were dropped.', z.object({ model: z.string(), version: z.int().nullable(), dropped: z.int() })),
        ...errors('invalid_request', 'not_found'),
      },
    }),
  },
};
