import { DataError } from '@trainyard/shared/platform';
import type { TrainSpec } from './train-spec.js';

export type Task = 'classification' | 'regression';
export type Label = string | number;

export type ClassTargets = { task: 'classification'; classes: Label[]; classIndexes: Int32Array };
export type RegressionTargets = { task: 'regression'; values: Float64Array };
export type Targets = ClassTargets | RegressionTargets;

/** One softmax unit per class: beyond this a target is almost surely a measurement, not a class. */
const maxClasses = 1_000;
/** A numeric target with at most this many distinct integers may well be classes (0/1/2 for species). */
const fewIntegers = 20;

/**
 * Linear regression predicts numbers, logistic regression and the text classifier classes; an MLP
 * does what `task` says, or else what the labels suggest: numbers are regressed (with a warning
 * when they look like class codes), text is classified.
 */
export function targetsFor(spec: TrainSpec, labels: readonly Label[]): { targets: Targets; warnings: string[] } {
  const numeric = labels.every((label) => typeof label === 'number');
  const task = spec.algorithm === 'mlp' ? (spec.params.task ?? (numeric ? 'regression' : 'classification')) : spec.algorithm === 'linear-regression' ? 'regression' : 'classification';
  if (task === 'regression') {
    if (!numeric) {
      const text = labels.find((label) => typeof label !== 'number');
      throw new DataError(`${spec.algorithm} needs a numeric target to regress; found ${JSON.stringify(text)}`);
    }
    const values = Float64Array.from(labels as number[]);
    const inferred = spec.algorithm === 'mlp' && spec.params.task === undefined;
    return { targets: { task, values }, warnings: inferred ? classLikeWarning(values) : [] };
  }
  // Sorted, so the output units do not depend on row order.
  const classes = [...new Set(labels)].sort(numeric ? (a, b) => (a as number) - (b as number) : undefined);
  if (classes.length < 2) throw new DataError(`classification needs at least 2 classes; the target only has ${JSON.stringify(classes[0])}`);
  if (classes.length > maxClasses) {
    throw new DataError(`the target has ${classes.length} distinct values; classification supports at most ${maxClasses}`);
  }
  const indexOf = new Map(classes.map((label, index) => [label, index]));
  return { targets: { task, classes, classIndexes: Int32Array.from(labels, (label) => indexOf.get(label)!) }, warnings: [] };
}

function classLikeWarning(values: Float64Array): string[] {
  const distinct = new Set<number>();
  for (const value of values) {
    if (!Number.isInteger(value)) return [];
    distinct.add(value);
    if (distinct.size > fewIntegers) return [];
  }
  const shown = [...distinct].sort((a, b) => a - b).slice(0, 5).join(', ');
  return [
    `the target has only ${distinct.size} distinct integer values (${shown}${distinct.size > 5 ? ', …' : ''}), so mlp trained a regressor; ` +
      'if they are classes, train again with params.task "classification" (params.task "regression" silences this warning)',
  ];
}
