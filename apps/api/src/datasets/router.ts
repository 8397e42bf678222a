import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Router, type Request } from 'express';
import { tooLarge, type DatasetCatalog, type UploadFormat } from '@trainyard/shared/datasets';
import { AppError, datasetName, NotFoundError } from '@trainyard/shared/platform';
import type { AuditLog } from '../admin/audit.js';
import type { Access } from '../auth/access.js';
import { principalOf } from '../auth/principal.js';
import { parseParam } from '../http/params.js';

export interface DatasetRouterDeps {
  datasets: DatasetCatalog;
  /** Largest upload accepted, in bytes (after decoding). */
  datasetMaxBytes: number;
  /** What a tenant's datasets may take in storage together. */
  tenantMaxDatasetBytes: number;
  access: Access;
  audit: AuditLog;
}

const decoders: Record<string, (() => Transform) | null> = {
  identity: null,
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * The caller's tenant's datasets. Uploads stream from the request into storage, so this router
 * must run before any body parser.
 */
export function datasetRouter(deps: DatasetRouterDeps): Router {
  const router = Router();
  const catalogOf = (req: Request) => deps.datasets.forTenant(principalOf(req).tenant);
  const target = (req: Request) => String(req.params.name);

  router.put('/v1/datasets/:name', deps.audit.records('dataset.upload', target), deps.access.requires('manage'), async (req, res) => {
    const name = parseParam(datasetName, req.params.name, 'name');
    const format = uploadFormat(req);
    const decode = decoderOf(req);
    const catalog = catalogOf(req);
    const room = deps.tenantMaxDatasetBytes - (await catalog.storedBytes(name));
    const quotaBinds = room < deps.datasetMaxBytes;
    const overQuota = () => new AppError('storage_quota_exceeded', `the tenant's datasets may take ${deps.tenantMaxDatasetBytes} bytes together (TENANT_MAX_DATASET_BYTES); ${Math.max(0, room)} are left`);
    const maxBytes = Math.min(deps.datasetMaxBytes, room);
    if (maxBytes <= 0) throw drained(req, overQuota());
    // A compressed upload's length says nothing about what it decodes to.
    if (!decode && Number(req.headers['content-length']) > maxBytes) throw drained(req, quotaBinds ? overQuota() : tooLarge(maxBytes));
    let decodeFailed = false;
    decode?.once('error', () => (decodeFailed = true));
    try {
      const dataset = await catalog.upload(name, req, format, maxBytes, decode ?? undefined);
      res.status(201).location(`/v1/datasets/${name}`).json(dataset);
    } catch (error) {
      if (decodeFailed) throw drained(req, new AppError('invalid_request', `the upload is not valid ${req.get('content-encoding')}`));
      const tooBig = error instanceof AppError && error.code === 'payload_too_large';
      throw drained(req, tooBig && quotaBinds ? overQuota() : error);
    }
  });

  router.get('/v1/datasets', deps.access.requires('read'), async (req, res) => {
    res.json({ datasets: await catalogOf(req).list() });
  });

  router.get('/v1/datasets/:name', deps.access.requires('read'), async (req, res) => {
    const name = parseParam(datasetName, req.params.name, 'name');
    const dataset = await catalogOf(req).get(name);
    if (!dataset) throw new NotFoundError(`no dataset named "${name}"`);
    res.json(dataset);
  });

  router.delete('/v1/datasets/:name', deps.audit.records('dataset.delete', target), deps.access.requires('manage'), async (req, res) => {
    const name = parseParam(datasetName, req.params.name, 'name');
    if (!(await catalogOf(req).delete(name))) throw new NotFoundError(`no dataset named "${name}"`);
    res.status(204).end();
  });

  return router;
}

function uploadFormat(req: Request): UploadFormat {
  const type = req.is(['text/csv', 'application/json']);
  if (type === 'text/csv') return 'csv';
  if (type === 'application/json') return 'json';
  throw drained(req, new AppError('unsupported_media_type', 'upload a dataset as text/csv or as application/json rows'));
}

/** A decompressor for the upload's Content-Encoding, null for none; 415 for one we do not decode. */
function decoderOf(req: Request): Transform | null {
  const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (!Object.hasOwn(decoders, encoding)) {
    throw drained(req, new AppError('unsupported_media_type', `Content-Encoding "${encoding}" is not supported; send gzip, deflate, br or none`));
  }
  return decoders[encoding]?.() ?? null;
}

/**
 * Reads and drops the rest of a refused upload, so the client, still sending, receives the error
 * response instead of a reset connection.
 */
function drained(req: Request, error: unknown): unknown {
  req.resume();
  return error;
}
