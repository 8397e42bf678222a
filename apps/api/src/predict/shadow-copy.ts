import { maxBullmqPriority, type JobQueues, type PredictJobData } from '@trainyard/shared/jobs';
import type { RolloutStats } from '@trainyard/shared/models';
import type { Logger } from '@trainyard/shared/platform';

export interface ShadowDeps {
  queues: JobQueues;
  rollouts: RolloutStats;
  /** SHADOW_MAX_BACKLOG: shadow copies queued at once; beyond it they are shed. */
  shadowMaxBacklog: number;
  log: Logger;
}

/** What the copy needs of the request that the answering version got. */
type Answered = Pick<PredictJobData, 'model' | 'version' | 'inputs'> & { tenant: string };

/**
 * Queues a copy of a prediction for an alias's shadow version, at BullMQ's lowest priority (after
 * every task) and outside the tenant's quota, unless SHADOW_MAX_BACKLOG copies are queued already:
 * then the copy is shed and counted. It runs beside the request, never ahead of its answer; a copy
 * that cannot be queued costs the shadow's figures, never the request.
 */
export function queueShadowCopy(deps: ShadowDeps, answered: Answered, alias: string, shadow: number): void {
  const { tenant, model, version, inputs } = answered;
  const jobId = deps.queues.newTaskId('predict', tenant, model);
  const copy = async () => {
    if (!(await deps.rollouts.admitShadow(tenant, model, alias, jobId, deps.shadowMaxBacklog))) return;
    const data = { tenant, model, version: shadow, inputs, output: 'prediction' as const, rollout: { alias, shadow_of: version } };
    await deps.queues.add('model.predict', data, { jobId, priority: maxBullmqPriority });
  };
  copy().catch((error: unknown) => deps.log.warn({ err: error, model, alias }, 'shadow copy not queued'));
}
