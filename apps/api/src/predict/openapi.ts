import { embedRequest, predictRequest } from '@trainyard/shared/jobs';
import { jsonBody, operation, submitHeaders, submitResponses, type Paths } from '../openapi/spec.js';

export const predictPaths: Paths = {
  '/v1/predict': {
    post: operation({
      summary: 'Predict',
      description: 'Scores inputs with a model version: 200 at once from the prediction cache, else a queued task.',
      tag: 'Tasks',
      scope: 'submit',
      parameters: submitHeaders,
      requestBody: jsonBody(predictRequest),
      responses: submitResponses,
    }),
  },
  '/v1/embed': {
    post: operation({
      summary: 'Embed texts',
      description: "A text model's embeddings of `inputs`; with `dataset`, a task that fills the embedding cache from a stored dataset.",
      tag: 'Tasks',
      scope: 'submit',
      parameters: submitHeaders,
      requestBody: jsonBody(embedRequest),
      responses: submitResponses,
    }),
  },
};
