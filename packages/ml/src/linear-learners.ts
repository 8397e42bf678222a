import type { TextTrainingData, TrainingData } from '@trainyard/shared/datasets';
import type { AlgorithmParams } from '@trainyard/shared/jobs';
import { linearArtifact } from './artifact.js';
import { SparseMatrix, type DesignMatrix } from './design-matrix.js';
import { describeTabularModel } from './encoding.js';
import type { FitRequest, FittedModel, Learner } from './learner.js';
import { fitLeastSquares, fitSoftmax } from './linear.js';
import type { ModelInputs } from './inputs.js';
import { LinearModel, tabularEncoder } from './linear-model.js';
import type { TfidfTextMetadata } from './metadata.js';
import { Tfidf } from './tfidf.js';
import type { ClassTargets, RegressionTargets } from './targets.js';

/** Ridge least squares on standardized features and target, in closed form: one step. */
export function linearRegressionLearner(params: AlgorithmParams<'linear-regression'>, data: TrainingData, targets: RegressionTargets): Learner {
  const inputsOf = (rows: readonly number[]) => rows.map((r) => data.features[r]!);
  return {
    unit: 'iteration',
    maxSteps: 1,
    async fit({ rows, validationRows, onStep }) {
      const metadata = describeTabularModel('linear-regression', data, targets, rows);
      if (metadata.task !== 'regression') throw new Error('linear regression regresses');
      const { mean, std } = metadata.target;
      const y = Float64Array.from(rows, (r) => (targets.values[r]! - mean) / std);
      const model = new LinearModel(metadata, fitLeastSquares(tabularEncoder(metadata)(inputsOf(rows)), y, params.l2));
      const meanSquaredError = (on: readonly number[]) => {
        const predicted = model.outputs(inputsOf(on));
        return on.reduce((sum, r, i) => sum + (targets.values[r]! - predicted[i]!) ** 2, 0) / on.length;
      };
      const loss = [meanSquaredError(rows)];
      const valLoss = validationRows && [meanSquaredError(validationRows)];
      await onStep({ step: 1, loss: loss[0]!, ...(valLoss && { valLoss: valLoss[0]! }) });
      return new LinearFitted(model, inputsOf, loss, valLoss);
    },
  };
}

/** Multinomial logistic regression on standardized features, by L-BFGS. */
export function logisticRegressionLearner(params: AlgorithmParams<'logistic-regression'>, data: TrainingData, targets: ClassTargets): Learner {
  const inputsOf = (rows: readonly number[]) => rows.map((r) => data.features[r]!);
  return {
    unit: 'iteration',
    maxSteps: params.epochs,
    async fit(request) {
      const metadata = describeTabularModel('logistic-regression', data, targets, request.rows);
      const encode = tabularEncoder(metadata);
      const weights = await fitClasses(encode(inputsOf(request.rows)), request.validationRows && encode(inputsOf(request.validationRows)), targets, params, request);
      return new LinearFitted(new LinearModel(metadata, weights.weights), inputsOf, weights.loss, weights.valLoss);
    },
  };
}

/** TF-IDF of words and n-grams, then multinomial logistic regression by L-BFGS. */
export function textClassifierLearner(params: AlgorithmParams<'text-classifier'>, data: TextTrainingData, targets: ClassTargets): Learner {
  const inputsOf = (rows: readonly number[]) => rows.map((r) => data.texts[r]!);
  return {
    unit: 'iteration',
    maxSteps: params.epochs,
    async fit(request) {
      const tfidf = Tfidf.fit(inputsOf(request.rows), {
        ngrams: params.ngrams,
        maxLength: params.max_length,
        maxVocab: params.max_vocab,
        minCount: params.min_count,
      });
      const metadata: TfidfTextMetadata = {
        algorithm: 'text-classifier',
        input: 'text',
        task: 'classification',
        textName: data.textName,
        classes: targets.classes,
        tfidf: { terms: [...tfidf.terms], idf: [...tfidf.idf], ...tfidf.settings },
        embeddingDim: params.embedding_dim,
      };
      const encode = (rows: readonly number[]) => SparseMatrix.fromRows(inputsOf(rows).map((text) => tfidf.vector(text)), tfidf.size);
      // No warm start: a refit's vocabulary differs from the first fit's.
      const fit = await fitClasses(encode(request.rows), request.validationRows && encode(request.validationRows), targets, params, { ...request, warmStart: undefined });
      return new LinearFitted(new LinearModel(metadata, fit.weights), inputsOf, fit.loss, fit.valLoss);
    },
  };
}

async function fitClasses(
  x: DesignMatrix,
  validation: DesignMatrix | undefined,
  targets: ClassTargets,
  params: { l2: number; epochs: number },
  request: FitRequest,
) {
  const classesOf = (rows: readonly number[]) => Int32Array.from(rows, (r) => targets.classIndexes[r]!);
  const start = request.warmStart instanceof LinearFitted ? request.warmStart.model.weights : undefined;
  return fitSoftmax(x, classesOf(request.rows), targets.classes.length, {
    l2: params.l2,
    maxIterations: params.epochs,
    ...(start && { start }),
    ...(validation && request.validationRows && { validation: { x: validation, classes: classesOf(request.validationRows) } }),
    onIteration: (step, loss, valLoss) => request.onStep({ step, loss, ...(valLoss !== undefined && { valLoss }) }),
  });
}

class LinearFitted implements FittedModel {
  constructor(
    readonly model: LinearModel,
    private readonly inputsOf: (rows: readonly number[]) => ModelInputs,
    readonly loss: number[],
    readonly valLoss: number[] | undefined,
  ) {}

  outputs(rows: readonly number[]): Float64Array {
    return this.model.outputs(this.inputsOf(rows));
  }

  async save() {
    return linearArtifact(this.model.metadata, this.model.weights);
  }

  dispose(): void {}
}
