import { z } from 'zod';
import { apiKeyView, newKeyRequest } from '../auth/api-keys.js';
import { errors, headers, json, jsonBody, noContent, operation, parameters, type Paths } from '../openapi/spec.js';
import { auditPage } from './audit.js';
import { auditQuery, keyId, tenantQuery } from './router.js';

export const adminPaths: Paths = {
  '/v1/admin/keys': {
    post: operation({
      summary: 'Create an API key',
      description: 'The key is in this answer and nowhere else, ever.',
      tag: 'Admin',
      scope: 'admin',
      requestBody: jsonBody(newKeyRequest),
      responses: {
        '201': json('The new key and its record.', apiKeyView.extend({ key: z.string() }), { Location: headers.location }),
        ...errors('invalid_request', 'invalid_json', 'unsupported_media_type'),
      },
    }),
    get: operation({
      summary: 'List API keys',
      tag: 'Admin',
      scope: 'admin',
      parameters: parameters('query', tenantQuery.shape),
      responses: { '200': json('The keys (never the secrets), of one tenant with ?tenant=.', z.object({ keys: z.array(apiKeyView) })), ...errors('invalid_request') },
    }),
  },
  '/v1/admin/keys/{id}': {
    delete: operation({
      summary: 'Revoke an API key',
      tag: 'Admin',
      scope: 'admin',
      parameters: parameters('path', { id: keyId }),
      responses: { '204': noContent('Revoked on every replica within about a round trip.'), ...errors('invalid_request', 'not_found') },
    }),
  },
  '/v1/admin/audit': {
    get: operation({
      summary: 'Read the audit log',
      tag: 'Admin',
      scope: 'admin',
      parameters: parameters('query', auditQuery.shape),
      responses: { '200': json('Newest first; `next` is the `before` of the following page.', auditPage), ...errors('invalid_request') },
    }),
  },
};
