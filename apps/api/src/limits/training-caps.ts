import type { TrainRequest } from '@trainyard/shared/jobs';
import { AppError } from '@trainyard/shared/platform';

/** What one training may cost, whoever asks (TRAIN_MAX_* and TRAIN_MIN_BATCH_SIZE). */
export interface TrainingCaps {
  maxEpochs: number;
  /** Hidden layers of an mlp. */
  maxLayers: number;
  /** Units of any hidden layer, and a text model's embedding width. */
  maxUnits: number;
  /** Rows × features (for texts: rows × tokens read per text). */
  maxCells: number;
  minBatchSize: number;
}

/** The rows and feature columns a training reads, from the inline data or the stored dataset's metadata. */
export interface TrainingShape {
  rows: number;
  features: number;
}

/** The shape of inline training data; null for a named dataset. */
export function inlineShape(request: TrainRequest): TrainingShape | null {
  const { dataset } = request;
  if (!('inline' in dataset)) return null;
  if ('texts' in dataset.inline) return { rows: dataset.inline.texts.length, features: 1 };
  return { rows: dataset.inline.features.length, features: dataset.inline.features[0]?.length ?? 0 };
}

/**
 * Refuses, at submit time, a training over a cost cap with a 400 naming the parameter and the cap:
 * epochs, hidden layers and units, rows × features, and a batch size below the least (batch 1 is
 * one optimizer step per row). The deadline is capped elsewhere (TRAIN_TIMEOUT_MAX_S).
 */
export function checkTrainingCost(caps: TrainingCaps, request: TrainRequest, shape: TrainingShape): void {
  const params = request.params as { epochs: number; batch_size: number; hidden_units?: number[]; embedding_dim?: number; max_length?: number };
  const over = (path: string, message: string) => {
    throw new AppError('limit_exceeded', `${path}: ${message}`, [{ path, message }]);
  };
  if (params.epochs > caps.maxEpochs) over('params.epochs', `at most ${caps.maxEpochs} epochs (TRAIN_MAX_EPOCHS)`);
  if (params.batch_size < caps.minBatchSize) over('params.batch_size', `at least ${caps.minBatchSize} (TRAIN_MIN_BATCH_SIZE)`);
  const layers = params.hidden_units ?? [];
  if (layers.length > caps.maxLayers) over('params.hidden_units', `at most ${caps.maxLayers} hidden layers (TRAIN_MAX_LAYERS)`);
  const wide = layers.findIndex((units) => units > caps.maxUnits);
  if (wide >= 0) over(`params.hidden_units.${wide}`, `at most ${caps.maxUnits} units per layer (TRAIN_MAX_UNITS)`);
  if ((params.embedding_dim ?? 0) > caps.maxUnits) over('params.embedding_dim', `at most ${caps.maxUnits} (TRAIN_MAX_UNITS)`);
  const cells = shape.rows * shape.features * (params.max_length ?? 1);
  if (cells > caps.maxCells) {
    over('dataset', `${shape.rows} rows × ${shape.features * (params.max_length ?? 1)} values is ${cells}, above the cap of ${caps.maxCells} (TRAIN_MAX_CELLS)`);
  }
}
