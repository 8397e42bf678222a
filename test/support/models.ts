import type { ModelVersion } from '@trainyard/shared/models';

/** A published version's metadata, for registry tests: a two-class classifier of one feature. */
export const modelVersion = (model: string, version: number, trainingTaskId = `train-${version}`): ModelVersion => ({
  model,
  version,
  algorithm: 'logistic-regression',
  params: {},
  task: 'classification',
  feature_names: ['a'],
  classes: ['x', 'y'],
  metrics: {},
  size_bytes: 4,
  training_task_id: trainingTaskId,
  created_at: new Date().toISOString(),
});
