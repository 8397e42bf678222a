import type { TextTrainingData, TrainingData } from '@trainyard/shared/datasets';
import type { AlgorithmParams } from '@trainyard/shared/jobs';
import { linearArtifact } from './artifact.js';
import { SparseMatrix, type DenseMatrix, type DesignMatrix } from './design-matrix.js';
import { describeTabularModel } from './encoding.js';
import type { FitRequest, FittedModel, Learner } from './learner.js';
import { LinearModel, tabularEncoder } from './linear-model.js';
import { fitLeastSquares, fitSoftmax, type LinearWeights } from './linear.js';
import type { TabularModelMetadata, TfidfTextMetadata } from './metadata.js';
import type { ClassTargets, RegressionTargets } from './targets.js';
import { Tfidf } from './tfidf.js';
import { tokenize } from './tokenize.js';

/** Data rows as the fitted model's design matrix. */
type RowEncoder = (rows: readonly number[]) => DesignMatrix;

/** Ridge least squares on standardized features and target, in closed form: one step. */
export function linearRegressionLearner(params: AlgorithmParams<'linear-regression'>, data: TrainingData, targets: RegressionTargets): Learner {
  return {
    unit: 'iteration',
    maxSteps: 1,
    async fit({ rows, validationRows, onStep }) {
      const metadata = describeTabularModel('linear-regression', data, targets, rows);
      if (metadata.task !== 'regression') throw new Error('linear regression regresses');
      const { mean, std } = metadata.target;
      const encode = tabularRows(data, metadata);
      const y = Float64Array.from(rows, (r) => (targets.values[r]! - mean) / std);
      const model = new LinearModel(metadata, fitLeastSquares(encode(rows) as DenseMatrix, y, params.l2));
      const meanSquaredError = (on: readonly number[]) => {
        const predicted = model.outputsOf(encode(on));
        return on.reduce((sum, r, i) => sum + (targets.values[r]! - predicted[i]!) ** 2, 0) / on.length;
      };
      const loss = [meanSquaredError(rows)];
      const valLoss = validationRows && [meanSquaredError(validationRows)];
      await onStep({ step: 1, loss: loss[0]!, ...(valLoss && { valLoss: valLoss[0]! }) });
      return new LinearFitted(model, encode, loss, valLoss);
    },
  };
}

/** Multinomial logistic regression on standardized features, by L-BFGS; a refit starts from the first fit's weights. */
export function logisticRegressionLearner(params: AlgorithmParams<'logistic-regression'>, data: TrainingData, targets: ClassTargets): Learner {
  return {
    unit: 'iteration',
    maxSteps: params.epochs,
    async fit(request) {
      const metadata = describeTabularModel('logistic-regression', data, targets, request.rows);
      const encode = tabularRows(data, metadata);
      const start = request.warmStart instanceof LinearFitted ? request.warmStart.model.weights : undefined;
      const fit = await fitClasses(encode, targets, params, request, start);
      return new LinearFitted(new LinearModel(metadata, fit.weights), encode, fit.loss, fit.valLoss);
    },
  };
}

/**
 * TF-IDF of words and n-grams, then multinomial logistic regression by L-BFGS. Each text is
 * tokenized once per training.
 */
export function textClassifierLearner(params: AlgorithmParams<'text-classifier'>, data: TextTrainingData, targets: ClassTargets): Learner {
  const tokens = data.texts.map((text) => tokenize(text));
  return {
    unit: 'iteration',
    maxSteps: params.epochs,
    async fit(request) {
      const tfidf = Tfidf.fit(
        request.rows.map((r) => tokens[r]!),
        { ngrams: params.ngrams, maxLength: params.max_length, maxVocab: params.max_vocab, minCount: params.min_count },
      );
      const metadata: TfidfTextMetadata = {
        algorithm: 'text-classifier',
        input: 'text',
        task: 'classification',
        textName: data.textName,
        classes: targets.classes,
        tfidf: { terms: [...tfidf.terms], idf: [...tfidf.idf], ...tfidf.settings },
        embeddingDim: params.embedding_dim,
      };
      const encode: RowEncoder = (rows) => SparseMatrix.fromRows(rows.map((r) => tfidf.vectorOf(tokens[r]!)), tfidf.size);
      // No warm start: a refit's terms and idf differ from the first fit's (carrying weights over saved one iteration in 18).
      const fit = await fitClasses(encode, targets, params, request, undefined);
      return new LinearFitted(new LinearModel(metadata, fit.weights), encode, fit.loss, fit.valLoss);
    },
  };
}

/** Standardized feature rows, encoded as prediction encodes them. */
function tabularRows(data: TrainingData, metadata: TabularModelMetadata): RowEncoder {
  const encode = tabularEncoder(metadata);
  return (rows) => encode(rows.map((r) => data.features[r]!));
}

async function fitClasses(encode: RowEncoder, targets: ClassTargets, params: { l2: number; epochs: number }, request: FitRequest, start: LinearWeights | undefined) {
  const classesOf = (rows: readonly number[]) => Int32Array.from(rows, (r) => targets.classIndexes[r]!);
  return fitSoftmax(encode(request.rows), classesOf(request.rows), targets.classes.length, {
    l2: params.l2,
    maxIterations: params.epochs,
    ...(start && { start }),
    ...(request.validationRows && { validation: { x: encode(request.validationRows), classes: classesOf(request.validationRows) } }),
    onIteration: (step, loss, valLoss) => request.onStep({ step, loss, ...(valLoss !== undefined && { valLoss }) }),
  });
}

class LinearFitted implements FittedModel {
  constructor(
    readonly model: LinearModel,
    private readonly encode: RowEncoder,
    readonly loss: number[],
    readonly valLoss: number[] | undefined,
  ) {}

  outputs(rows: readonly number[]): Float64Array {
    return this.model.outputsOf(this.encode(rows));
  }

  async save() {
    return linearArtifact(this.model.metadata, this.model.weights);
  }

  dispose(): void {}
}
