/** Share of rows whose predicted class is the true one, and the unweighted mean of per-class F1. */
export function classificationMetrics(actual: readonly number[], predicted: readonly number[]) {
  let correct = 0;
  const classes = new Set([...actual, ...predicted]);
  const truePositives = new Map<number, number>();
  const actualCount = new Map<number, number>();
  const predictedCount = new Map<number, number>();
  const increment = (counts: Map<number, number>, key: number) => counts.set(key, (counts.get(key) ?? 0) + 1);
  actual.forEach((truth, i) => {
    const guess = predicted[i]!;
    increment(actualCount, truth);
    increment(predictedCount, guess);
    if (truth === guess) {
      correct++;
      increment(truePositives, truth);
    }
  });
  // As scikit-learn: over the classes that occur on either side; F1 = 2·TP / (actual + predicted).
  let f1Sum = 0;
  for (const c of classes) f1Sum += (2 * (truePositives.get(c) ?? 0)) / ((actualCount.get(c) ?? 0) + (predictedCount.get(c) ?? 0));
  return { accuracy: correct / actual.length, f1_macro: f1Sum / classes.size };
}

/** Root mean squared error (in target units) and the coefficient of determination. */
export function regressionMetrics(actual: readonly number[], predicted: readonly number[]) {
  const mean = actual.reduce((sum, y) => sum + y, 0) / actual.length;
  let residual = 0;
  let total = 0;
  actual.forEach((y, i) => {
    residual += (y - predicted[i]!) ** 2;
    total += (y - mean) ** 2;
  });
  // A constant target has no variance to explain: perfect or nothing, as scikit-learn reports it.
  const r2 = total === 0 ? (residual === 0 ? 1 : 0) : 1 - residual / total;
  return { rmse: Math.sqrt(residual / actual.length), r2 };
}
