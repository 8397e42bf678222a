import { z } from 'zod';
import { errorCatalog, modelName, type ErrorCode } from '@trainyard/shared/platform';
import { versionRef } from '../models/router.js';
import { headers, json, jsonBody, operation, parameters, type Json, type Paths } from '../openapi/spec.js';
import { inferenceRequest, metadataTensor, responseTensor } from './tensors.js';

/** The protocol's own error body. */
const inferenceError = z.object({ error: z.string() });

function errors(...codes: ErrorCode[]): Record<string, Json> {
  const statuses = [...new Set(codes.map((code) => errorCatalog[code].status))];
  return Object.fromEntries(statuses.map((status) => [String(status), json('Error (the Open Inference Protocol\'s body: a message).', inferenceError)]));
}

const tag = 'Open Inference Protocol';
const name = parameters('path', { name: modelName });
const versioned = parameters('path', { name: modelName, version: versionRef }, { version: 'A version number, an alias or `latest`.' });

/** Each model route, for the latest version and for a named one. */
function modelRoutes(suffix: string, item: (params: Json[]) => Paths[string]): Paths {
  return { [`/v2/models/{name}${suffix}`]: item(name), [`/v2/models/{name}/versions/{version}${suffix}`]: item(versioned) };
}

const keyed = ['unauthorized', 'forbidden', 'rate_limited', 'invalid_request', 'not_found', 'unavailable'] as const;

export const inferencePaths: Paths = {
  '/v2': {
    get: operation({ summary: 'Server metadata', tag, scope: null, responses: { '200': json('Name, version, extensions.', z.object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) })) } }),
  },
  '/v2/health/live': {
    get: operation({ summary: 'Server liveness', tag, scope: null, responses: { '200': json('Alive.', z.object({ live: z.boolean() })) } }),
  },
  '/v2/health/ready': {
    get: operation({
      summary: 'Server readiness',
      tag,
      scope: null,
      responses: { '200': json('Ready.', z.object({ ready: z.boolean() })), '503': json('Not ready.', z.object({ ready: z.boolean() })) },
    }),
  },
  ...modelRoutes('', (params) => ({
    get: inferenceOperation({
      summary: 'Model metadata',
      tag,
      scope: 'read',
      parameters: params,
      responses: {
        '200': json(
          'The model, its versions and its tensors.',
          z.object({ name: z.string(), versions: z.array(z.string()), platform: z.string(), inputs: z.array(metadataTensor), outputs: z.array(metadataTensor) }),
        ),
      },
    }),
  })),
  ...modelRoutes('/ready', (params) => ({
    get: inferenceOperation({ summary: 'Model readiness', tag, scope: 'read', parameters: params, responses: { '200': json('Ready.', z.object({ name: z.string(), ready: z.boolean() })) } }),
  })),
  ...modelRoutes('/infer', (params) => ({
    post: inferenceOperation({
      summary: 'Infer',
      description: 'A prediction through the protocol: waits for the task at most INFER_WAIT_S; past that 503 with Retry-After and the task to follow.',
      tag,
      scope: 'submit',
      parameters: params,
      requestBody: jsonBody(inferenceRequest),
      responses: {
        '200': json('The outputs.', z.object({ model_name: z.string(), model_version: z.string(), id: z.string(), outputs: z.array(responseTensor) })),
        '503': json('Not finished in time (or Redis is away): follow the task.', inferenceError, {
          'Retry-After': headers.retryAfter,
          'Trainyard-Task-Id': headers.taskId,
          Location: headers.location,
        }),
      },
    }),
  })),
};

/** A keyed operation whose errors are the protocol's. */
function inferenceOperation(spec: Parameters<typeof operation>[0]): Json {
  const op = operation({ ...spec, scope: null, responses: { ...errors(...keyed), ...spec.responses } });
  return { ...op, description: [spec.description, `Needs an API key with the \`${spec.scope}\` scope (or \`admin\`).`].filter(Boolean).join('\n\n'), security: [{ apiKey: [] }] };
}
