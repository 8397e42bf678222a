import { describe, expect, it } from 'vitest';
import { seededRandom } from '@trainyard/shared/platform';
import { DenseMatrix, SparseMatrix } from './design-matrix.js';
import { minimizeLbfgs } from './lbfgs.js';
import { crossEntropy, fitLeastSquares, fitSoftmax, linearScores, softmax } from './linear.js';

describe('design matrices', () => {
  it('dense and sparse storage of the same rows multiply alike, both ways', () => {
    const random = seededRandom(3);
    const rows = 7;
    const columns = 9;
    const k = 3;
    // Mostly zeros, as TF-IDF rows are.
    const values = Float64Array.from({ length: rows * columns }, () => (random() < 0.7 ? 0 : random() - 0.5));
    const sparseRows = Array.from({ length: rows }, (_, r) => {
      const indexes = Int32Array.from({ length: columns }, (_, j) => j).filter((j) => values[r * columns + j] !== 0);
      return { indexes, values: Float64Array.from(indexes, (j) => values[r * columns + j]!) };
    });
    const dense = new DenseMatrix(values, rows, columns);
    const sparse = SparseMatrix.fromRows(sparseRows, columns);
    const weights = Float64Array.from({ length: k * columns }, () => random());
    const residuals = Float64Array.from({ length: rows * k }, () => random());
    const [a, b] = [new Float64Array(rows * k), new Float64Array(rows * k)];
    dense.times(weights, k, a);
    sparse.times(weights, k, b);
    a.forEach((value, i) => expect(b[i]).toBeCloseTo(value, 12));
    // One entry by hand: row 2, output 1.
    let expected = 0;
    for (let j = 0; j < columns; j++) expected += values[2 * columns + j]! * weights[columns + j]!;
    expect(a[2 * k + 1]).toBeCloseTo(expected, 12);
    const [g, h] = [new Float64Array(k * columns), new Float64Array(k * columns)];
    dense.transposeTimes(residuals, k, g);
    sparse.transposeTimes(residuals, k, h);
    g.forEach((value, i) => expect(h[i]).toBeCloseTo(value, 12));
  });
});

describe('least squares in closed form', () => {
  // Two centred columns and a centred target: the intercept is 0 and the normal equations are 2 × 2.
  const x = [
    [-1.5, 0.5],
    [-0.5, -1],
    [0.5, 1.5],
    [1.5, -1],
  ];
  const y = [-2, -1.5, 1, 2.5];
  const matrix = new DenseMatrix(Float64Array.from(x.flat()), 4, 2);

  /** (XᵀX + ridge·I)·w = Xᵀy by Cramer's rule. */
  const byHand = (ridge: number) => {
    const sum = (f: (row: number[], i: number) => number) => x.reduce((total, row, i) => total + f(row, i), 0);
    const [a, b, d] = [sum(([p]) => p! * p!) + ridge, sum(([p, q]) => p! * q!), sum(([, q]) => q! * q!) + ridge];
    const [u, v] = [sum(([p], i) => p! * y[i]!), sum(([, q], i) => q! * y[i]!)];
    const det = a * d - b * b;
    return [(u * d - b * v) / det, (a * v - b * u) / det];
  };

  it('equals the hand-solved normal equations', () => {
    const fit = fitLeastSquares(matrix, Float64Array.from(y), 0);
    const [w1, w2] = byHand(0);
    expect(fit.kernel[0]).toBeCloseTo(w1!, 8);
    expect(fit.kernel[1]).toBeCloseTo(w2!, 8);
    expect(Array.from(fit.bias)).toEqual([0]);
  });

  it('with l2, equals the hand-solved ridge system (XᵀX + n·l2·I)·w = Xᵀy', () => {
    const fit = fitLeastSquares(matrix, Float64Array.from(y), 0.25);
    const [w1, w2] = byHand(4 * 0.25);
    expect(fit.kernel[0]).toBeCloseTo(w1!, 8);
    expect(fit.kernel[1]).toBeCloseTo(w2!, 8);
  });

  it('solves a system with a duplicated column instead of failing', () => {
    const twin = new DenseMatrix(Float64Array.from(x.flatMap(([p]) => [p!, p!])), 4, 2);
    const fit = fitLeastSquares(twin, Float64Array.from(y), 0);
    // Any split of the weight between the twins fits alike: the fit is the one-column fit, Σxy / Σx².
    const slope = x.reduce((sum, [p], i) => sum + p! * y[i]!, 0) / x.reduce((sum, [p]) => sum + p! * p!, 0);
    linearScores(fit, twin).forEach((value, i) => expect(value).toBeCloseTo(slope * x[i]![0]!, 6));
  });
});

describe('L-BFGS', () => {
  it('finds the minimum of a convex quadratic: A·x = b', async () => {
    // f(x) = ½·xᵀAx − bᵀx with A symmetric positive definite; b = A·[1, −2, 3].
    const a = [
      [4, 1, 0],
      [1, 3, -1],
      [0, -1, 2],
    ];
    const solution = [1, -2, 3];
    const b = a.map((row) => row.reduce((sum, value, j) => sum + value * solution[j]!, 0));
    const objective = (x: Float64Array, gradient: Float64Array) => {
      let value = 0;
      for (let i = 0; i < 3; i++) {
        const ax = a[i]!.reduce((sum, aij, j) => sum + aij * x[j]!, 0);
        gradient[i] = ax - b[i]!;
        value += 0.5 * x[i]! * ax - b[i]! * x[i]!;
      }
      return value;
    };
    const iterations: number[] = [];
    const result = await minimizeLbfgs(objective, new Float64Array(3), {
      maxIterations: 100,
      gradientTolerance: 1e-10,
      relativeTolerance: 0,
      onIteration: (iteration) => void iterations.push(iteration),
    });
    expect(result.converged).toBe(true);
    solution.forEach((value, i) => expect(result.x[i]).toBeCloseTo(value, 6));
    expect(iterations).toEqual(Array.from({ length: result.iterations }, (_, i) => i + 1));
  });
});

describe('multinomial logistic regression', () => {
  it('reaches the maximum-likelihood answer: at x = 1, 3 of 4 rows are class 0, so p(0 | 1) = 0.75', async () => {
    const x = new DenseMatrix(Float64Array.from([1, 1, 1, 1, -1, -1, -1, -1]), 8, 1);
    const classes = Int32Array.from([0, 0, 0, 1, 1, 1, 1, 0]);
    const fit = await fitSoftmax(x, classes, 2, { l2: 0, maxIterations: 200 });
    const probabilities = softmax(linearScores(fit.weights, x), 2);
    expect(probabilities[0]).toBeCloseTo(0.75, 4);
    expect(probabilities[4 * 2 + 1]).toBeCloseTo(0.75, 4);
    // The loss curve is the training cross-entropy per iteration, ending at the optimum's.
    expect(fit.loss).toHaveLength(fit.iterations);
    expect(fit.loss.at(-1)).toBeCloseTo(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), 6);
  });

  it('ends where the gradient of cross-entropy + l2·|W|² is zero', async () => {
    const random = seededRandom(9);
    const rows = 120;
    const columns = 4;
    const k = 3;
    const values = Float64Array.from({ length: rows * columns }, () => random() * 2 - 1);
    const classes = Int32Array.from({ length: rows }, (_, r) => (values[r * columns]! + 0.5 * values[r * columns + 1]! > 0.3 ? 2 : values[r * columns + 2]! > 0 ? 1 : 0));
    const x = new DenseMatrix(values, rows, columns);
    const l2 = 0.01;
    const fit = await fitSoftmax(x, classes, k, { l2, maxIterations: 500 });
    // The gradient, computed here independently of the solver's objective.
    const p = softmax(linearScores(fit.weights, x), k);
    const gradient = new Float64Array((columns + 1) * k);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < k; c++) {
        const residual = (p[r * k + c]! - (classes[r] === c ? 1 : 0)) / rows;
        for (let j = 0; j < columns; j++) gradient[c * columns + j]! += residual * values[r * columns + j]!;
        gradient[columns * k + c]! += residual;
      }
    }
    for (let i = 0; i < columns * k; i++) gradient[i]! += 2 * l2 * fit.weights.kernel[i]!;
    expect(Math.max(...gradient.map(Math.abs))).toBeLessThan(2e-4);
    expect(fit.loss.at(-1)).toBeCloseTo(crossEntropy(linearScores(fit.weights, x), classes, k), 10);
  });

  it('scores validation rows at every iteration and starts from given weights', async () => {
    const x = new DenseMatrix(Float64Array.from([1, 2, -1, -2, 1.5, -1.5]), 6, 1);
    const classes = Int32Array.from([0, 0, 1, 1, 0, 1]);
    const validation = { x: new DenseMatrix(Float64Array.from([0.5, -0.5]), 2, 1), classes: Int32Array.from([0, 1]) };
    const cold = await fitSoftmax(x, classes, 2, { l2: 0.1, maxIterations: 100, validation });
    expect(cold.valLoss).toHaveLength(cold.loss.length);
    expect(cold.valLoss!.at(-1)).toBeLessThan(cold.valLoss![0]!);
    const warm = await fitSoftmax(x, classes, 2, { l2: 0.1, maxIterations: 100, start: cold.weights });
    expect(warm.iterations).toBeLessThan(cold.iterations);
    expect(warm.weights.kernel[0]).toBeCloseTo(cold.weights.kernel[0]!, 3);
  });
});
