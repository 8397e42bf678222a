import { Router, type Request } from 'express';
import { tooLarge, type DatasetCatalog, type UploadFormat } from '@trainyard/shared/datasets';
import { AppError, datasetName, NotFoundError } from '@trainyard/shared/platform';
import { parseParam } from '../http/params.js';

export interface DatasetRouterDeps {
  datasets: DatasetCatalog;
  /** Largest upload accepted, in bytes. */
  datasetMaxBytes: number;
}

/**
 * Dataset uploads stream from the request into storage, so this router must run before any body
 * parser; it needs no Redis either.
 */
export function datasetRouter(deps: DatasetRouterDeps): Router {
  const router = Router();

  router.put('/v1/datasets/:name', async (req, res) => {
    const name = parseParam(datasetName, req.params.name, 'name');
    const format = uploadFormat(req);
    if (Number(req.headers['content-length']) > deps.datasetMaxBytes) throw drained(req, tooLarge(deps.datasetMaxBytes));
    try {
      const dataset = await deps.datasets.upload(name, req, format, deps.datasetMaxBytes);
      res.status(201).location(`/v1/datasets/${name}`).json(dataset);
    } catch (error) {
      throw drained(req, error);
    }
  });

  router.get('/v1/datasets', async (_req, res) => {
    res.json({ datasets: await deps.datasets.list() });
  });

  router.get('/v1/datasets/:name', async (req, res) => {
    const name = parseParam(datasetName, req.params.name, 'name');
    const dataset = await deps.datasets.get(name);
    if (!dataset) throw new NotFoundError(`no dataset named "${name}"`);
    res.json(dataset);
  });

  router.delete('/v1/datasets/:name', async (req, res) => {
    const name = parseParam(datasetName, req.params.name, 'name');
    if (!(await deps.datasets.delete(name))) throw new NotFoundError(`no dataset named "${name}"`);
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

/**
 * Reads and drops the rest of a refused upload, so the client, still sending, receives the error
 * response instead of a reset connection.
 */
function drained(req: Request, error: unknown): unknown {
  req.resume();
  return error;
}
