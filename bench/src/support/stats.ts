/** Nearest-rank percentile of unsorted samples (p in 0..100). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** A repeated measurement: the median is the figure, min and max show how stable it was. */
export interface Repeated {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function repeated(runs: number[]): Repeated {
  return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs), runs };
}

/** Ratios of runs measured back to back (ours[i] right after ceiling[i]): a drift of the machine cancels out. */
export function pairedRatios(ours: readonly number[], ceiling: readonly number[]): Repeated {
  if (ours.length !== ceiling.length) throw new Error('paired runs differ in number');
  return repeated(ours.map((value, i) => value / ceiling[i]!));
}
