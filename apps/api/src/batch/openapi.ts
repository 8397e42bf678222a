import { batchPredictRequest } from '@trainyard/shared/jobs';
import { taskResource } from '@trainyard/shared/tasks';
import { errors, json, jsonBody, operation, submitHeaders, submitResponses, taskIdParameter, type Json, type Paths } from '../openapi/spec.js';

const file = (part: string): Json =>
  operation({
    summary: `A finished batch's ${part} file`,
    description: `Streams the ${part} file (CSV or JSON lines, as the batch asked) once the batch has succeeded; 409 before.`,
    tag: 'Batch predictions',
    scope: 'read',
    parameters: [taskIdParameter],
    responses: {
      '200': {
        description: `The ${part} file.`,
        content: { 'text/csv': { schema: { type: 'string' } }, 'application/jsonl': { schema: { type: 'string' } } },
      },
      ...errors('not_found', 'conflict'),
    },
  });

export const batchPaths: Paths = {
  '/v1/batch-predictions': {
    post: operation({
      summary: 'Score a dataset',
      description: 'Queues a task that scores every row of a stored dataset (or inline rows) into an output and an error file.',
      tag: 'Batch predictions',
      scope: 'submit',
      parameters: submitHeaders.filter((header) => header.name === 'Prefer'),
      requestBody: jsonBody(batchPredictRequest),
      responses: submitResponses,
    }),
  },
  '/v1/batch-predictions/{taskId}': {
    get: operation({
      summary: 'Read a batch',
      tag: 'Batch predictions',
      scope: 'read',
      parameters: [taskIdParameter],
      responses: { '200': json('The batch task; its result names the output and error files once it succeeded.', taskResource), ...errors('not_found') },
    }),
  },
  '/v1/batch-predictions/{taskId}/output': { get: file('output') },
  '/v1/batch-predictions/{taskId}/errors': { get: file('errors') },
};
