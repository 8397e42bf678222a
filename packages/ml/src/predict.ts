import type { Prediction } from '@trainyard/shared/jobs';
import { DataError } from '@trainyard/shared/platform';
import { readArtifact, type StoredModelFiles } from './artifact.js';
import type { ModelInputs } from './inputs.js';
import { LinearModel } from './linear-model.js';
import type { ModelMetadata } from './metadata.js';
import type { Label, Task } from './targets.js';

export type { ModelInputs };

export interface LoadedModel {
  task: Task;
  /** What the model takes: feature rows, or texts. */
  input: 'tabular' | 'text';
  /** Text models: the text column they were trained on. */
  featureNames: string[];
  /** Classifiers only, in output order. */
  classes?: Label[];
  sizeBytes: number;
  /** Rows in featureNames order, or texts; a row of another width or an input of the other kind is a DataError. */
  predict(inputs: ModelInputs): Prediction[];
  /** Text models only: each text's embedding (see docs/text-models.md). */
  embed(inputs: ModelInputs): number[][];
  /** Frees the weights; the model cannot predict afterwards. */
  dispose(): void;
}

/**
 * Builds a ready-to-predict model from its stored files alone. Linear models run on plain typed
 * arrays; networks (and models stored before the linear format) load TensorFlow.js on first use.
 */
export async function loadModel(files: StoredModelFiles): Promise<LoadedModel> {
  const artifact = readArtifact(files);
  const { metadata } = artifact;
  const model =
    artifact.format === 'linear'
      ? linear(new LinearModel(artifact.metadata, artifact.weights))
      : await (await import('./tfjs-model.js')).loadTfjsModel(artifact);
  return {
    task: metadata.task,
    input: metadata.input,
    featureNames: metadata.input === 'text' ? [metadata.textName] : metadata.featureNames,
    ...(metadata.task === 'classification' && { classes: metadata.classes }),
    sizeBytes: artifact.sizeBytes,
    predict: (inputs) => (inputs.length === 0 ? [] : toPredictions(model.outputs(inputs), inputs.length, metadata)),
    embed: (inputs) => {
      if (metadata.input !== 'text') throw new DataError('only text models return embeddings');
      return inputs.length === 0 ? [] : model.embed(inputs);
    },
    dispose: () => model.dispose(),
  };
}

function linear(model: LinearModel) {
  return { outputs: (inputs: ModelInputs) => model.outputs(inputs), embed: (inputs: ModelInputs) => model.embed(inputs), dispose: () => {} };
}

function toPredictions(output: Float64Array, count: number, metadata: ModelMetadata): Prediction[] {
  if (metadata.task === 'regression') return Array.from(output, (value) => ({ value }));
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
