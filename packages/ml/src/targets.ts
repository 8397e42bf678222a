import type { Algorithm } from '@trainyard/shared/jobs';
import { DataError } from '@trainyard/shared/platform';

export type Task = 'classification' | 'regression';
export type Label = string | number;

export type Targets =
  | { task: 'classification'; classes: Label[]; classIndexes: number[] }
  | { task: 'regression'; values: number[] };

/** One softmax unit per class: beyond this a target is almost surely a measurement, not a class. */
const maxClasses = 1_000;

/**
 * Linear regression predicts numbers, logistic regression and the text classifier classes; an MLP does what the labels
 * ask for: numbers are regressed, text is classified.
 */
export function targetsFor(algorithm: Algorithm, labels: readonly Label[]): Targets {
  const numeric = labels.every((label) => typeof label === 'number');
  if (algorithm === 'linear-regression' || (algorithm === 'mlp' && numeric)) {
    if (!numeric) {
      const text = labels.find((label) => typeof label !== 'number');
      throw new DataError(`${algorithm} needs a numeric target; found ${JSON.stringify(text)}`);
    }
    return { task: 'regression', values: labels as number[] };
  }
  // Sorted, so the output units do not depend on row order.
  const classes = [...new Set(labels)].sort(numeric ? (a, b) => (a as number) - (b as number) : undefined);
  if (classes.length < 2) throw new DataError(`classification needs at least 2 classes; the target only has ${JSON.stringify(classes[0])}`);
  if (classes.length > maxClasses) {
    throw new DataError(`the target has ${classes.length} distinct values; classification supports at most ${maxClasses}`);
  }
  const indexOf = new Map(classes.map((label, index) => [label, index]));
  return { task: 'classification', classes, classIndexes: labels.map((label) => indexOf.get(label)!) };
}
