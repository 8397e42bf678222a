import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError, tenantName } from '@trainyard/shared/platform';
import type { Access } from '../auth/access.js';
import { newKeyRequest, type ApiKeyStore } from '../auth/api-keys.js';
import { parseParam } from '../http/params.js';
import { parseBody, requireJsonBody } from '../http/validate.js';
import type { AuditLog } from './audit.js';

export interface AdminRouterDeps {
  keys: ApiKeyStore;
  access: Access;
  audit: AuditLog;
}

export const tenantQuery = z.strictObject({ tenant: tenantName.optional() });
export const auditQuery = z.strictObject({
  tenant: tenantName.optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  before: z.string().regex(/^\d{1,20}-\d{1,20}$/, 'an entry id from a previous page').optional(),
});
export const keyId = z.string().regex(/^key_[0-9a-f]{16}$/, 'a key id: key_ and 16 hex digits');

/** The admin scope's endpoints, the only ones that reach across tenants: API keys and the audit log. */
export function adminRouter(deps: AdminRouterDeps): Router {
  const router = Router();
  const admin = deps.access.requires('admin');

  /** The key is in this answer and nowhere else, ever. */
  router.post('/v1/admin/keys', deps.audit.records('key.create', (req) => String(req.body?.tenant ?? '')), admin, requireJsonBody, async (req, res) => {
    const created = await deps.keys.create(parseBody(newKeyRequest, req));
    // null only if 256 random bits repeated an existing key's: never in practice, and never silently.
    if (!created) throw new Error('a new API key collided with an existing one');
    res.status(201).location(`/v1/admin/keys/${created.record.id}`).json({ key: created.key, ...created.record });
  });

  router.get('/v1/admin/keys', admin, async (req, res) => {
    const { tenant } = parseParam(tenantQuery, req.query, 'query');
    res.json({ keys: await deps.keys.list(tenant) });
  });

  /** Revoked on every API replica within about a round trip; the record stays, marked revoked. */
  router.delete('/v1/admin/keys/:id', deps.audit.records('key.revoke', (req) => String(req.params.id)), admin, async (req, res) => {
    const id = parseParam(keyId, req.params.id, 'id');
    if (!(await deps.keys.revoke(id))) throw new NotFoundError(`no API key ${id}`);
    res.status(204).end();
  });

  /** Newest first; `next` is the `before` of the following page. */
  router.get('/v1/admin/audit', admin, async (req, res) => {
    res.json(await deps.audit.list(parseParam(auditQuery, req.query, 'query')));
  });

  return router;
}
