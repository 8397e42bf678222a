import { z } from 'zod';
import { aliasRoute, aliasTarget, modelDetails, modelSummary, modelVersion } from '@trainyard/shared/models';
import { aliasName, modelName } from '@trainyard/shared/platform';
import { errors, json, jsonBody, noContent, operation, parameters, type Paths } from '../openapi/spec.js';
import { versionNumber, versionRef } from './router.js';

const withAliases = modelVersion.extend({ aliases: z.array(z.string()) });
const name = parameters('path', { name: modelName });

export const modelPaths: Paths = {
  '/v1/models': {
    get: operation({ summary: "List the tenant's models", tag: 'Models', scope: 'read', responses: { '200': json('Every model, newest version and aliases.', z.object({ models: z.array(modelSummary) })) } }),
  },
  '/v1/models/{name}': {
    get: operation({
      summary: 'Read a model',
      tag: 'Models',
      scope: 'read',
      parameters: name,
      responses: { '200': json('The model with every version.', modelDetails.extend({ versions: z.array(withAliases) })), ...errors('invalid_request', 'not_found') },
    }),
  },
  '/v1/models/{name}/versions/{version}': {
    get: operation({
      summary: 'Read a model version',
      tag: 'Models',
      scope: 'read',
      parameters: parameters('path', { name: modelName, version: versionRef }, { version: 'A version number, an alias or `latest`.' }),
      responses: { '200': json('The version and the aliases pointing to it.', withAliases), ...errors('invalid_request', 'not_found') },
    }),
    delete: operation({
      summary: 'Delete a model version',
      description: 'Its number is never handed out again; its cached predictions are dropped.',
      tag: 'Models',
      scope: 'manage',
      parameters: parameters('path', { name: modelName, version: versionNumber }),
      responses: { '204': noContent('Deleted.'), ...errors('invalid_request', 'not_found', 'alias_in_use') },
    }),
  },
  '/v1/models/{name}/aliases/{alias}/stats': {
    get: operation({
      summary: "An alias's rollout statistics",
      description: 'Requests, errors and latency per version of a split, and how a shadow compares.',
      tag: 'Models',
      scope: 'read',
      parameters: parameters('path', { name: modelName, alias: aliasName }),
      responses: { '200': { description: 'The statistics.', content: { 'application/json': { schema: { type: 'object' } } } }, ...errors('invalid_request', 'not_found') },
    }),
  },
  '/v1/models/{name}/aliases/{alias}': {
    put: operation({
      summary: 'Point an alias at a version',
      tag: 'Models',
      scope: 'manage',
      parameters: parameters('path', { name: modelName, alias: aliasName }),
      requestBody: jsonBody(aliasTarget),
      responses: {
        '200': json(
          "The alias and the model's aliases now.",
          aliasRoute.extend({ model: z.string(), alias: z.string(), version: z.int(), aliases: z.record(z.string(), z.int()), routes: z.record(z.string(), aliasRoute), updated_at: z.iso.datetime().nullable() }),
        ),
        ...errors('invalid_request', 'invalid_json', 'not_found', 'unsupported_media_type'),
      },
    }),
    delete: operation({
      summary: 'Remove an alias',
      tag: 'Models',
      scope: 'manage',
      parameters: parameters('path', { name: modelName, alias: aliasName }),
      responses: { '204': noContent('Removed.'), ...errors('invalid_request', 'not_found') },
    }),
  },
};
