import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import type { DenseMatrix, DesignMatrix } from './design-matrix.js';
import { minimizeLbfgs } from './lbfgs.js';

/** A linear model over encoded inputs: scores = x·kernel + bias, `outputs` scores per row. */
export interface LinearWeights {
  inputs: number;
  outputs: number;
  /** outputs × inputs: one row of input weights per output. */
  kernel: Float64Array | Float32Array;
  bias: Float64Array | Float32Array;
}

/** Every row's scores, rows × outputs. */
export function linearScores(weights: LinearWeights, x: DesignMatrix): Float64Array {
  const out = new Float64Array(x.rows * weights.outputs);
  x.times(weights.kernel instanceof Float64Array ? weights.kernel : Float64Array.from(weights.kernel), weights.outputs, out);
  addBias(out, weights.bias);
  return out;
}

function addBias(scores: Float64Array, bias: ArrayLike<number>): void {
  const k = bias.length;
  for (let i = 0; i < scores.length; i++) scores[i]! += bias[i % k]!;
}

/**
 * Ridge least squares in closed form: minimizes mean((y − Xw)²) + l2·|w|² by solving the normal
 * equations (XᵀX + n·l2·I)·w = Xᵀy with a Cholesky factorization. X and y are centred (standardized),
 * so the intercept is 0. A tiny ridge relative to XᵀX's diagonal keeps collinear features solvable.
 */
export function fitLeastSquares(x: DenseMatrix, y: Float64Array, l2: number): LinearWeights {
  const { rows: n, columns: d, values } = x;
  const gram = Array.from({ length: d }, () => new Float64Array(d));
  const moment = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const row = r * d;
    for (let j = 0; j < d; j++) {
      const xj = values[row + j]!;
      if (xj === 0) continue;
      moment[j]! += xj * y[r]!;
      const gramRow = gram[j]!;
      for (let l = j; l < d; l++) gramRow[l]! += xj * values[row + l]!;
    }
  }
  let trace = 0;
  for (let j = 0; j < d; j++) trace += gram[j]![j]!;
  const ridge = n * l2 + 1e-10 * (trace / d || 1);
  for (let j = 0; j < d; j++) {
    gram[j]![j]! += ridge;
    for (let l = 0; l < j; l++) gram[j]![l] = gram[l]![j]!;
  }
  const solved = new CholeskyDecomposition(new Matrix(gram)).solve(Matrix.columnVector(Array.from(moment)));
  return { inputs: d, outputs: 1, kernel: Float64Array.from(solved.getColumn(0)), bias: new Float64Array(1) };
}

export interface SoftmaxFitOptions {
  /** Penalty on the squared kernel weights, added to the mean cross-entropy. */
  l2: number;
  maxIterations: number;
  /** Where the solver starts; zeros when absent. */
  start?: LinearWeights;
  /** Scored after every iteration, for the loss curve. */
  validation?: { x: DesignMatrix; classes: Int32Array };
  /** After every iteration with the losses so far; awaited (yield, report progress, or throw to stop). */
  onIteration?: (iteration: number, loss: number, valLoss: number | undefined) => Promise<void> | void;
}

export interface SoftmaxFit {
  weights: LinearWeights;
  /** Mean cross-entropy (penalty left out) of the training rows, and of the validation rows, per iteration. */
  loss: number[];
  valLoss?: number[];
  iterations: number;
  converged: boolean;
}

/**
 * Multinomial logistic regression: minimizes mean cross-entropy + l2·|kernel|² with L-BFGS over
 * the kernel and the (unpenalized) bias. Convex, so the answer does not depend on a seed.
 */
export async function fitSoftmax(x: DesignMatrix, classes: Int32Array, k: number, options: SoftmaxFitOptions): Promise<SoftmaxFit> {
  const n = x.rows;
  const d = x.columns;
  const kernelSize = d * k;
  const scores = new Float64Array(n * k);
  let dataLoss = 0;
  const objective = (theta: Float64Array, gradient: Float64Array): number => {
    const kernel = theta.subarray(0, kernelSize);
    const bias = theta.subarray(kernelSize);
    x.times(kernel, k, scores);
    addBias(scores, bias);
    // Scores become residuals (probability − one-hot) / n in place.
    dataLoss = softmaxResiduals(scores, classes, k) / n;
    for (let i = 0; i < scores.length; i++) scores[i]! /= n;
    x.transposeTimes(scores, k, gradient);
    const biasGradient = gradient.subarray(kernelSize);
    biasGradient.fill(0);
    for (let i = 0; i < scores.length; i++) biasGradient[i % k]! += scores[i]!;
    let penalty = 0;
    for (let i = 0; i < kernelSize; i++) {
      penalty += kernel[i]! * kernel[i]!;
      gradient[i]! += 2 * options.l2 * kernel[i]!;
    }
    return dataLoss + options.l2 * penalty;
  };

  const start = new Float64Array(kernelSize + k);
  if (options.start) {
    start.set(options.start.kernel);
    start.set(options.start.bias, kernelSize);
  }
  const loss: number[] = [];
  const valLoss: number[] = [];
  const weightsOf = (theta: Float64Array): LinearWeights => ({
    inputs: d,
    outputs: k,
    kernel: theta.slice(0, kernelSize),
    bias: theta.slice(kernelSize),
  });
  const result = await minimizeLbfgs(objective, start, {
    maxIterations: options.maxIterations,
    // As scikit-learn's tol: ten times tighter doubled the iterations on digits and breast_cancer and
    // changed no held-out prediction.
    gradientTolerance: 1e-4,
    relativeTolerance: 1e-7,
    // dataLoss is still that of the accepted point: the line search evaluates it last.
    onIteration: async (iteration, _value, theta) => {
      loss.push(dataLoss);
      const validation = options.validation && crossEntropy(linearScores(weightsOf(theta), options.validation.x), options.validation.classes, k);
      if (validation !== undefined) valLoss.push(validation);
      await options.onIteration?.(iteration, dataLoss, validation);
    },
  });
  return { weights: weightsOf(result.x), loss, ...(options.validation && { valLoss }), iterations: result.iterations, converged: result.converged };
}

/**
 * Turns scores into probability − one-hot in place and returns the summed cross-entropy of the
 * true classes, from the log-sum-exp so that a confident mistake costs its full loss.
 */
function softmaxResiduals(scores: Float64Array, classes: Int32Array, k: number): number {
  let loss = 0;
  for (let r = 0, offset = 0; r < classes.length; r++, offset += k) {
    const truth = offset + classes[r]!;
    const truthScore = scores[truth]!;
    loss += softmaxRow(scores, offset, k) - truthScore;
    scores[truth]! -= 1;
  }
  return loss;
}

/** Softmax of one row of scores, in place (shifted by the row's maximum); returns the row's log-sum-exp. */
function softmaxRow(scores: Float64Array, offset: number, k: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < k; c++) max = Math.max(max, scores[offset + c]!);
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(scores[offset + c]! - max);
    scores[offset + c] = e;
    sum += e;
  }
  for (let c = 0; c < k; c++) scores[offset + c]! /= sum;
  return max + Math.log(sum);
}

/** Every row's scores turned into class probabilities, in place. */
export function softmax(scores: Float64Array, k: number): Float64Array {
  for (let offset = 0; offset < scores.length; offset += k) softmaxRow(scores, offset, k);
  return scores;
}

/** Mean cross-entropy of the true classes under the softmax of these scores (which it overwrites). */
export function crossEntropy(scores: Float64Array, classes: Int32Array, k: number): number {
  return softmaxResiduals(scores, classes, k) / classes.length;
}
