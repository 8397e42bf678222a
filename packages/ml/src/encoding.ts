import type { TextTrainingData, TrainingData } from '@trainyard/shared/datasets';
import type { Algorithm, AlgorithmParams } from '@trainyard/shared/jobs';
import { DataError } from '@trainyard/shared/platform';
import type { ModelMetadata, TabularModelMetadata } from './artifact.js';
import { fitStandardization, standardize } from './standardize.js';
import type { Targets } from './targets.js';
import type { TrainSpec } from './train-spec.js';
import { Vocabulary } from './vocabulary.js';

/**
 * How data rows become network input rows. Fitted on the training rows only (standardization,
 * vocabulary), so the validation rows stay unseen.
 */
export interface InputEncoding {
  metadata: ModelMetadata;
  /** Values per network input row. */
  width: number;
  /** Text models: rows of the embedding table. */
  vocabularySize?: number;
  /** The network input for these data rows, row-major. */
  encode(rows: readonly number[]): Float32Array;
}

export function fitEncoding(spec: TrainSpec, data: TrainingData | TextTrainingData, targets: Targets, trainRows: number[]): InputEncoding {
  if (spec.algorithm === 'text-classifier') {
    if (!('texts' in data)) throw new DataError('text-classifier trains on texts: name the dataset\'s text column ("text") or send inline texts');
    return fitTextEncoding(spec.params, data, targets, trainRows);
  }
  if ('texts' in data) throw new DataError(`${spec.algorithm} trains on numeric features, not texts; text-classifier trains on texts`);
  const metadata = describeTabularModel(spec.algorithm, data, targets, trainRows);
  return {
    metadata,
    width: data.featureNames.length,
    encode: (rows) => standardize(rows.map((r) => data.features[r]!), metadata.features),
  };
}

function describeTabularModel(algorithm: Algorithm, data: TrainingData, targets: Targets, trainRows: number[]): TabularModelMetadata {
  const common = {
    algorithm,
    input: 'tabular' as const,
    featureNames: data.featureNames,
    features: fitStandardization(trainRows.map((r) => data.features[r]!), data.featureNames.length),
  };
  if (targets.task === 'classification') return { ...common, task: 'classification', classes: targets.classes };
  const { mean, std } = fitStandardization(trainRows.map((r) => [targets.values[r]!]), 1);
  return { ...common, task: 'regression', target: { mean: mean[0]!, std: std[0]! } };
}

/** Every text is tokenized once; batches copy its ids. */
function fitTextEncoding(params: AlgorithmParams<'text-classifier'>, data: TextTrainingData, targets: Targets, trainRows: number[]): InputEncoding {
  if (targets.task !== 'classification') throw new Error('a text classifier needs classes');
  const vocabulary = Vocabulary.fit(
    trainRows.map((r) => data.texts[r]!),
    { maxVocab: params.max_vocab, minCount: params.min_count, maxLength: params.max_length },
  );
  const width = params.max_length;
  const ids = vocabulary.encodeAll(data.texts);
  return {
    metadata: {
      algorithm: 'text-classifier',
      input: 'text',
      task: 'classification',
      textName: data.textName,
      classes: targets.classes,
      tokenizer: { vocabulary: [...vocabulary.words], maxLength: width },
    },
    width,
    vocabularySize: vocabulary.size,
    encode: (rows) => {
      const out = new Float32Array(rows.length * width);
      rows.forEach((r, i) => out.set(ids.subarray(r * width, (r + 1) * width), i * width));
      return out;
    },
  };
}
