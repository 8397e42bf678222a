import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DataError } from '@trainyard/shared/errors';
import type { Prediction } from '@trainyard/shared/jobs';
import { readArtifact, type ModelMetadata, type StoredModelFiles } from './artifact.js';
import { initBackend } from './backend.js';
import { standardize } from './standardize.js';
import type { Label, Task } from './targets.js';

export interface LoadedModel {
  task: Task;
  featureNames: string[];
  /** Classifiers only, in output order. */
  classes?: Label[];
  sizeBytes: number;
  /** Rows in featureNames order; a row of another width is a DataError. */
  predict(rows: readonly (readonly number[])[]): Prediction[];
  /** Frees the weights; the model cannot predict afterwards. */
  dispose(): void;
}

/** Builds a ready-to-predict model from its stored files alone. */
export async function loadModel(files: StoredModelFiles): Promise<LoadedModel> {
  await initBackend();
  const { artifacts, metadata, sizeBytes } = readArtifact(files);
  const network = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  const width = metadata.featureNames.length;
  const outputs = metadata.task === 'classification' ? metadata.classes.length : 1;
  if (network.inputs[0]?.shape[1] !== width || network.outputs[0]?.shape[1] !== outputs) {
    network.dispose();
    throw new DataError(`the network's shape does not match its metadata (${width} features, ${outputs} outputs)`);
  }

  // The hot path: one tensor in, one synchronous read out.
  const outputsFor = (rows: readonly (readonly number[])[]): Float32Array => {
    rows.forEach((row, i) => {
      if (row.length !== width) {
        throw new DataError(`input row ${i} has ${row.length} values; the model expects ${width} (${metadata.featureNames.join(', ')})`);
      }
    });
    const output = tf.tidy(() => network.predictOnBatch(tf.tensor2d(standardize(rows, metadata.features), [rows.length, width])) as tf.Tensor);
    try {
      return output.dataSync() as Float32Array;
    } finally {
      output.dispose();
    }
  };

  return {
    task: metadata.task,
    featureNames: metadata.featureNames,
    ...(metadata.task === 'classification' && { classes: metadata.classes }),
    sizeBytes,
    predict: (rows) => (rows.length === 0 ? [] : toPredictions(outputsFor(rows), rows.length, metadata)),
    dispose: () => network.dispose(),
  };
}

function toPredictions(output: Float32Array, count: number, metadata: ModelMetadata): Prediction[] {
  if (metadata.task === 'regression') {
    const { mean, std } = metadata.target;
    return Array.from(output, (value) => ({ value: value * std + mean }));
  }
  const { classes } = metadata;
  const predictions: Prediction[] = [];
  for (let row = 0; row < count; row++) {
    const offset = row * classes.length;
    let best = 0;
    const probabilities: Record<string, number> = {};
    classes.forEach((label, j) => {
      const p = output[offset + j]!;
      probabilities[String(label)] = p;
      if (p > output[offset + best]!) best = j;
    });
    predictions.push({ label: classes[best]!, probabilities });
  }
  return predictions;
}
