import { describe, expect, it } from 'vitest';
import { classificationMetrics, regressionMetrics } from './metrics.js';

describe('classificationMetrics', () => {
  it('computes accuracy and the unweighted mean of per-class F1', () => {
    // class 0: TP 2, FP 1, FN 0 → F1 0.8; class 1: TP 1, FP 0, FN 1 → F1 2/3; class 2: TP 1 → F1 1.
    const metrics = classificationMetrics([0, 0, 1, 1, 2], [0, 0, 1, 0, 2]);
    expect(metrics.accuracy).toBeCloseTo(0.8, 12);
    expect(metrics.f1_macro).toBeCloseTo((0.8 + 2 / 3 + 1) / 3, 12);
  });

  it('counts a class that is only ever predicted, with an F1 of 0', () => {
    expect(classificationMetrics([0, 0], [0, 1])).toEqual({ accuracy: 0.5, f1_macro: (2 / 3 + 0) / 2 });
  });

  it('is 1 for a perfect prediction', () => {
    expect(classificationMetrics([2, 0, 1], [2, 0, 1])).toEqual({ accuracy: 1, f1_macro: 1 });
  });
});

describe('regressionMetrics', () => {
  it('computes RMSE in target units and R²', () => {
    // residuals 1, -1, 0, 0: squared sum 2, MSE 0.5; around the mean 2.5 the total is 5, so R² = 1 - 2/5.
    const metrics = regressionMetrics([1, 2, 3, 4], [0, 3, 3, 4]);
    expect(metrics.rmse).toBeCloseTo(Math.sqrt(0.5), 12);
    expect(metrics.r2).toBeCloseTo(0.6, 12);
  });

  it('gives R² 0 for always guessing the mean and stays finite for a constant target', () => {
    expect(regressionMetrics([1, 3], [2, 2]).r2).toBe(0);
    expect(regressionMetrics([5, 5], [5, 5]).r2).toBe(1);
    expect(regressionMetrics([5, 5], [4, 6]).r2).toBe(0);
  });
});
