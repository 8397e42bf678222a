import { operation, type Paths } from './spec.js';

/** The reference itself is public, like /health: it says what the API does, never what a tenant holds. */
export const referencePaths: Paths = {
  '/openapi.json': {
    get: operation({
      summary: 'This document',
      tag: 'Reference',
      scope: null,
      responses: { '200': { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
    }),
  },
  '/docs': {
    get: operation({
      summary: 'The API reference page',
      description: 'Swagger UI over /openapi.json, served from the API\'s own files (no CDN).',
      tag: 'Reference',
      scope: null,
      responses: { '200': { description: 'An HTML page.', content: { 'text/html': { schema: { type: 'string' } } } } },
    }),
  },
};
