import express, { type Express } from 'express';
import type { Logger } from '@trainyard/shared/platform';
import type { Tracing } from '@trainyard/shared/tracing';
import { boardPath, queueBoard, type BoardAccess, type BoardCredentials } from './admin/queue-board.js';
import { adminRouter, type AdminRouterDeps } from './admin/router.js';
import { authentication, type Authenticator } from './auth/authenticator.js';
import { batchRouter, type BatchRouterDeps } from './batch/router.js';
import { cacheRouter, type CacheRouterDeps } from './cache/router.js';
import { consoleRouter } from './console/router.js';
import { datasetRouter, type DatasetRouterDeps } from './datasets/router.js';
import { healthRouter, type HealthDeps } from './health/router.js';
import { inferenceErrors, inferenceRouter, type InferenceDeps } from './inference/router.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { forMethods } from './http/for-methods.js';
import { requireRedis } from './http/require-redis.js';
import { logRequests } from './http/request-log.js';
import { traceRequests } from './http/trace-requests.js';
import type { ApiMetrics } from './metrics/api-metrics.js';
import { modelRouter, type ModelRouterDeps } from './models/router.js';
import { openApiRouter } from './openapi/router.js';
import { predictRouter, type PredictRouterDeps } from './predict/router.js';
import { taskEventsRouter, type TaskEventsDeps } from './tasks/events-router.js';
import { feedRouter } from './tasks/feed-router.js';
import { taskRouter, type TaskRouterDeps } from './tasks/router.js';
import { trainRouter, type TrainRouterDeps } from './train/router.js';

export interface AppDeps
  extends TrainRouterDeps,
    PredictRouterDeps,
    TaskRouterDeps,
    BatchRouterDeps,
    TaskEventsDeps,
    HealthDeps,
    DatasetRouterDeps,
    ModelRouterDeps,
    CacheRouterDeps,
    InferenceDeps,
    AdminRouterDeps {
  log: Logger;
  metrics: ApiMetrics;
  tracing: Tracing;
  bodyLimit: string;
  /** null with AUTH=off: every /v1 request is then tenant `default` with every scope. */
  authenticator: Authenticator | null;
  board: Omit<BoardAccess, 'keys'>;
  /** The built web console's folder, served at `/`; null: not built, `/` is a 404 like any unknown path. */
  consoleDir: string | null;
}

/** The HTTP app, free of process concerns: service.ts listens and owns shutdown; tests call this too. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (deps.tracing.enabled) app.use(traceRequests(deps.tracing));
  app.use(deps.metrics.measureRequests);
  const requestLog = logRequests(deps.log);
  if (requestLog) app.use(requestLog);
  // Public pages answer GET (HEAD) alone: a submit passes them by.
  app.use(forMethods(['GET', 'HEAD'], healthRouter(deps), openApiRouter(), ...(deps.consoleDir ? [consoleRouter(deps.consoleDir)] : [])));
  // Every /v1 call names its key (401 otherwise) before anything else looks at it.
  app.use('/v1', requireRedis(deps.redis), authentication(deps.authenticator));
  // Uploads stream to storage: before the JSON parser.
  app.use(forMethods(['GET', 'HEAD', 'PUT', 'DELETE'], datasetRouter(deps)));
  app.use(express.json({ limit: deps.bodyLimit, type: 'application/json' }));
  // The submit path first: a router passed costs every request behind it (paths do not overlap).
  app.use(predictRouter(deps));
  app.use(trainRouter(deps));
  app.use(batchRouter(deps));
  app.use(taskRouter(deps));
  app.use(taskEventsRouter(deps));
  app.use(feedRouter(deps));
  app.use(modelRouter(deps));
  app.use(cacheRouter(deps));
  app.use(adminRouter(deps));
  // The Open Inference Protocol answers errors its own way; its model routes need a key as /v1's do.
  app.use(inferenceRouter(deps));
  app.use('/v2', inferenceErrors(deps.log, deps.redis));
  const board = queueBoard(deps.queues.withShards(), { ...deps.board, keys: deps.authenticator });
  if (board) app.use(boardPath, ...board);
  else deps.log.warn(`Bull Board is not mounted at ${boardPath}: with AUTH=off it needs BOARD_USER and BOARD_PASSWORD`);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.log, deps.redis));
  return app;
}
