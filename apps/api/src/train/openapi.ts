import { trainRequest } from '@trainyard/shared/jobs';
import { jsonBody, operation, submitHeaders, submitResponses, type Paths } from '../openapi/spec.js';

export const trainPaths: Paths = {
  '/v1/train': {
    post: operation({
      summary: 'Train a model',
      description: 'Queues a training task on a stored, built-in or inline dataset; its result is the new model version.',
      tag: 'Tasks',
      scope: 'submit',
      parameters: submitHeaders,
      requestBody: jsonBody(trainRequest),
      responses: submitResponses,
    }),
  },
};
