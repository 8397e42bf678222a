import { Router } from 'express';
import { AppError, type RedisClient } from '@trainyard/shared/platform';
import type { ObjectStore } from '@trainyard/shared/storage';
import { sendError } from '../http/error-handler.js';

export interface HealthDeps {
  redis: RedisClient;
  store: ObjectStore;
}

const checkTimeoutMs = 2_000;

async function check(probe: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${checkTimeoutMs} ms`)), checkTimeoutMs);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch (error) {
    return (error as Error).message || 'failed';
  } finally {
    clearTimeout(timer);
  }
}

/** Whether Redis and object storage both answer, with each one's result ("ok" or what failed). */
export async function readiness(deps: HealthDeps): Promise<{ ready: boolean; checks: Record<'redis' | 'storage', string>; failures: string }> {
  const [redis, storage] = await Promise.all([check(() => deps.redis.ping()), check(() => deps.store.ping())]);
  const checks = { redis, storage };
  const failed = Object.entries(checks).filter(([, result]) => result !== 'ok');
  return { ready: failed.length === 0, checks, failures: failed.map(([name, result]) => `${name}: ${result}`).join('; ') };
}

export function healthRouter(deps: HealthDeps): Router {
  const router = Router();

  /** Liveness: the process answers. It touches no dependency, so a Redis outage never restarts the API. */
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /** Readiness: 200 only when Redis and object storage both answer; 503 names what failed. */
  router.get('/ready', async (_req, res) => {
    const { ready, checks, failures } = await readiness(deps);
    if (ready) return void res.json({ status: 'ready', checks });
    sendError(res, new AppError('not_ready', failures), { checks });
  });

  return router;
}
