/** Per-column mean and standard deviation, learnt from the training rows and stored in the artifact. */
export interface Standardization {
  mean: number[];
  std: number[];
}

export function fitStandardization(rows: readonly (readonly number[])[], width: number): Standardization {
  const mean = new Array<number>(width).fill(0);
  const squares = new Array<number>(width).fill(0);
  for (const row of rows) for (let c = 0; c < width; c++) mean[c]! += row[c]!;
  for (let c = 0; c < width; c++) mean[c]! /= rows.length;
  for (const row of rows) for (let c = 0; c < width; c++) squares[c]! += (row[c]! - mean[c]!) ** 2;
  // A constant column carries no information; dividing by 1 keeps it at 0 instead of NaN.
  const std = squares.map((sum) => Math.sqrt(sum / rows.length) || 1);
  return { mean, std };
}

/** The rows, standardized, as one row-major buffer: float32 for tensors, float64 for the solvers. */
export function standardize(rows: readonly (readonly number[])[], stats: Standardization): Float32Array;
export function standardize<T extends Float32Array | Float64Array>(rows: readonly (readonly number[])[], stats: Standardization, out: T): T;
export function standardize(rows: readonly (readonly number[])[], stats: Standardization, out?: Float32Array | Float64Array): Float32Array | Float64Array {
  const width = stats.mean.length;
  const buffer = out ?? new Float32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let c = 0; c < width; c++) buffer[r * width + c] = (row[c]! - stats.mean[c]!) / stats.std[c]!;
  }
  return buffer;
}
