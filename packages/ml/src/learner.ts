import type { AdamState } from './adam.js';
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
  /** Networks: continue this fit after the step a saved state was taken at, instead of from its first step. */
  resume?: FitState;
  /** Networks: after every step, offered the fit's state; `state` is called only when it is to be saved, and read at once. */
  saveState?(state: () => FitState): void;
}

/**
 * Everything a network's fit needs to go on after a finished step exactly as it would have without
 * stopping: the weights, Adam's moments, the random sequence's position (the batch order is drawn
 * from it), the row order it shuffles further each epoch, and early stopping's bookkeeping.
 */
export interface FitState {
  /** The last finished step (epoch). */
  step: number;
  weights: Float32Array[];
  adam: AdamState;
  random: number;
  order: number[];
  loss: number[];
  valLoss: number[];
  bestStep: number;
  /** Early stopping: the best monitored loss so far; null while there is none. */
  bestMonitored: number | null;
  /** Early stopping: the best step's weights. */
  best?: Float32Array[];
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
