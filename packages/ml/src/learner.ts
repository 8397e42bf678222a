import type { ModelFiles } from './artifact.js';

/** One step of a fit: an epoch of a network, an iteration of a full-batch solver. */
export interface StepReport {
  step: number;
  /** Mean training loss (penalty left out), in target units squared for regressors. */
  loss: number;
  valLoss?: number;
}

export interface FitRequest {
  /** Data rows to fit on. */
  rows: readonly number[];
  /** Scored after every step, for the loss curve and early stopping. */
  validationRows?: readonly number[];
  /** A refit takes exactly the steps the first fit chose (networks); solvers converge on their own. */
  steps?: number;
  /** A model fitted before on other rows, to start from where the algorithm can (a warm start). */
  warmStart?: FittedModel;
  /** After every step; awaited (progress, abort, a turn for the event loop). */
  onStep(report: StepReport): Promise<void>;
  /** Before every mini-batch of a network: throws once aborted, and now and then yields to the event loop. */
  checkpoint(): Promise<void>;
}

export interface FittedModel {
  /** Class probabilities (rows × classes) or values in target units, for data rows. */
  outputs(rows: readonly number[]): Float64Array;
  loss: number[];
  valLoss?: number[];
  /** Early stopping: the step whose weights were kept, 1-based. */
  bestStep?: number;
  save(): Promise<ModelFiles>;
  dispose(): void;
}

/** An algorithm bound to its data and parameters. */
export interface Learner {
  unit: 'epoch' | 'iteration';
  /** The most steps one fit takes. */
  maxSteps: number;
  fit(request: FitRequest): Promise<FittedModel>;
}
