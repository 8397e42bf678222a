import express, { type Express } from 'express';
import type { Logger } from '@trainyard/shared/platform';
import { boardPath, queueBoard, type BoardCredentials } from './admin/queue-board.js';
import { batchRouter, type BatchRouterDeps } from './batch/router.js';
import { cacheRouter, type CacheRouterDeps } from './cache/router.js';
import { datasetRouter, type DatasetRouterDeps } from './datasets/router.js';
import { healthRouter, type HealthDeps } from './health/router.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { requireRedis } from './http/require-redis.js';
import { modelRouter, type ModelRouterDeps } from './models/router.js';
import { predictRouter, type PredictRouterDeps } from './predict/router.js';
import { taskEventsRouter, type TaskEventsDeps } from './tasks/events-router.js';
import { taskRouter } from './tasks/router.js';
import { trainRouter, type TrainRouterDeps } from './train/router.js';

export interface AppDeps
  extends TrainRouterDeps,
    PredictRouterDeps,
    BatchRouterDeps,
    TaskEventsDeps,
    HealthDeps,
    DatasetRouterDeps,
    ModelRouterDeps,
    CacheRouterDeps {
  log: Logger;
  bodyLimit: string;
  board?: BoardCredentials;
}

/** The HTTP app, free of process concerns: service.ts listens and owns shutdown; tests call this too. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Uploads stream to storage: before the JSON parser, and without Redis.
  app.use(datasetRouter(deps));
  app.use(express.json({ limit: deps.bodyLimit, type: 'application/json' }));
  app.use(healthRouter(deps));
  app.use('/v1', requireRedis(deps.redis));
  app.use(trainRouter(deps));
  app.use(predictRouter(deps));
  app.use(batchRouter(deps));
  app.use(taskRouter(deps));
  app.use(taskEventsRouter(deps));
  app.use(modelRouter(deps));
  app.use(cacheRouter(deps));
  app.use(boardPath, ...queueBoard(deps.queues.all(), deps.board));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.log, deps.redis));
  return app;
}
