import type { TrainingData } from '@trainyard/shared/datasets';
import type { Algorithm } from '@trainyard/shared/jobs';
import type { TabularModelMetadata } from './metadata.js';
import { fitStandardization } from './standardize.js';
import type { Targets } from './targets.js';

/**
 * What a tabular model stores besides its weights: feature statistics (and target statistics for
 * a regressor) fitted on the rows it trains on only, so held-out rows stay unseen.
 */
export function describeTabularModel(algorithm: Algorithm, data: TrainingData, targets: Targets, fitRows: readonly number[]): TabularModelMetadata {
  const common = {
    algorithm,
    input: 'tabular' as const,
    featureNames: data.featureNames,
    features: fitStandardization(fitRows.map((r) => data.features[r]!), data.featureNames.length),
  };
  if (targets.task === 'classification') return { ...common, task: 'classification', classes: targets.classes };
  const { mean, std } = fitStandardization(fitRows.map((r) => [targets.values[r]!]), 1);
  return { ...common, task: 'regression', target: { mean: mean[0]!, std: std[0]! } };
}
