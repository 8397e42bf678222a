import { adminPaths } from '../admin/openapi.js';
import { batchPaths } from '../batch/openapi.js';
import { cachePaths } from '../cache/openapi.js';
import { datasetPaths } from '../datasets/openapi.js';
import { healthPaths } from '../health/openapi.js';
import { inferencePaths } from '../inference/openapi.js';
import { modelPaths } from '../models/openapi.js';
import { predictPaths } from '../predict/openapi.js';
import { taskPaths } from '../tasks/openapi.js';
import { trainPaths } from '../train/openapi.js';
import { referencePaths } from './openapi.js';
import { components, inlineSchema, type Json } from './spec.js';

/** Every feature's paths; a new router adds its openapi.ts here (the route-set test fails until it does). */
const features = [healthPaths, referencePaths, trainPaths, predictPaths, batchPaths, taskPaths, datasetPaths, modelPaths, cachePaths, adminPaths, inferencePaths];

/** The OpenAPI 3.1 document of the API, generated from the zod schemas its routes validate with. */
export function openApiDocument(version: string): Json {
  return {
    openapi: '3.1.1',
    info: {
      title: 'Trainyard API',
      version,
      description: [
        'Train models and get predictions as asynchronous tasks: a submit answers 202 with the task, which is then read, waited for (`Prefer: wait=N`, `?wait=N`) or followed as Server-Sent Events.',
        'Every /v1 call and the /v2 model routes need an API key, `Authorization: Bearer ty_…`, whose scopes (read, submit, manage, admin) decide what it may call and whose tenant what it sees. Keyed answers carry the key\'s budget in `RateLimit` and `RateLimit-Policy`; past it, 429 with `Retry-After`.',
        'Errors are `{"error": {"code", "message", "issues"?}}`; the Open Inference Protocol (/v2) answers its own `{"error": "message"}`.',
      ].join('\n\n'),
    },
    tags: ['Tasks', 'Batch predictions', 'Datasets', 'Models', 'Admin', 'Open Inference Protocol', 'Health', 'Reference'].map((name) => ({ name })),
    security: [{ apiKey: [] }],
    paths: Object.assign({}, ...features),
    components: {
      schemas: Object.fromEntries(Object.entries(components).map(([name, schema]) => [name, inlineSchema(schema)])),
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (`ty_` and 43 characters), from `npm run keys -- create` or POST /v1/admin/keys.' } },
    },
  };
}
