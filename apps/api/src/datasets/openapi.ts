import { z } from 'zod';
import { datasetInfo } from '@trainyard/shared/datasets';
import { datasetName } from '@trainyard/shared/platform';
import { errors, headers, json, noContent, operation, parameters, type Paths } from '../openapi/spec.js';

const name = parameters('path', { name: datasetName });

export const datasetPaths: Paths = {
  '/v1/datasets': {
    get: operation({
      summary: "List the tenant's datasets",
      tag: 'Datasets',
      scope: 'read',
      responses: { '200': json("The tenant's datasets and the built-in samples.", z.object({ datasets: z.array(datasetInfo) })) },
    }),
  },
  '/v1/datasets/{name}': {
    put: operation({
      summary: 'Upload a dataset',
      description: 'A CSV with a header row, or JSON rows; optionally compressed (Content-Encoding gzip, deflate or br). Replaces a dataset of that name.',
      tag: 'Datasets',
      scope: 'manage',
      parameters: [...name, { name: 'Content-Encoding', in: 'header', required: false, schema: { type: 'string', enum: ['identity', 'gzip', 'x-gzip', 'deflate', 'br'] } }],
      requestBody: {
        required: true,
        content: {
          'text/csv': { schema: { type: 'string' } },
          'application/json': { schema: { type: 'array', items: { type: 'object', additionalProperties: { type: ['number', 'string'] } } } },
        },
      },
      responses: {
        '201': json('Stored.', datasetInfo, { Location: headers.location }),
        ...errors('invalid_request', 'invalid_data', 'conflict', 'payload_too_large', 'storage_quota_exceeded', 'unsupported_media_type'),
      },
    }),
    get: operation({ summary: 'Read a dataset', tag: 'Datasets', scope: 'read', parameters: name, responses: { '200': json('The dataset.', datasetInfo), ...errors('invalid_request', 'not_found') } }),
    delete: operation({
      summary: 'Delete a dataset',
      tag: 'Datasets',
      scope: 'manage',
      parameters: name,
      responses: { '204': noContent('Deleted.'), ...errors('invalid_request', 'not_found', 'conflict') },
    }),
  },
};
