import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Prediction } from '@trainyard/shared/jobs';
import { DataError } from '@trainyard/shared/platform';
import { readArtifact, type ModelMetadata, type StoredModelFiles, type TabularModelMetadata, type TextModelMetadata } from './artifact.js';
import { initBackend } from './backend.js';
import { standardize } from './standardize.js';
import type { Label, Task } from './targets.js';
import { embeddingModel } from './text-network.js';
import { Vocabulary } from './vocabulary.js';

/** Feature rows for tabular models, texts for text models. */
export type ModelInputs = readonly (readonly number[])[] | readonly string[];

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
  /** Text models only: each text's pooled embedding (embedding_dim numbers). */
  embed(inputs: ModelInputs): number[][];
  /** Frees the weights; the model cannot predict afterwards. */
  dispose(): void;
}

/** Builds a ready-to-predict model from its stored files alone. */
export async function loadModel(files: StoredModelFiles): Promise<LoadedModel> {
  await initBackend();
  const { artifacts, metadata, sizeBytes } = readArtifact(files);
  const network = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  const encoder = metadata.input === 'text' ? textEncoder(metadata) : tabularEncoder(metadata);
  const outputs = metadata.task === 'classification' ? metadata.classes.length : 1;
  if (network.inputs[0]?.shape[1] !== encoder.width || network.outputs[0]?.shape[1] !== outputs) {
    network.dispose();
    throw new DataError(`the network's shape does not match its metadata (${encoder.describe}, ${outputs} outputs)`);
  }
  const embedder = metadata.input === 'text' ? embeddingModel(network) : undefined;

  // The hot path: one tensor in, one synchronous read out.
  const run = (model: tfl.LayersModel, inputs: ModelInputs): Float32Array => {
    const output = tf.tidy(() => model.predictOnBatch(tf.tensor2d(encoder.encode(inputs), [inputs.length, encoder.width])) as tf.Tensor);
    try {
      return output.dataSync() as Float32Array;
    } finally {
      output.dispose();
    }
  };

  return {
    task: metadata.task,
    input: metadata.input,
    featureNames: metadata.input === 'text' ? [metadata.textName] : metadata.featureNames,
    ...(metadata.task === 'classification' && { classes: metadata.classes }),
    sizeBytes,
    predict: (inputs) => (inputs.length === 0 ? [] : toPredictions(run(network, inputs), inputs.length, metadata)),
    embed: (inputs) => {
      if (!embedder) throw new DataError('only text models return embeddings');
      if (inputs.length === 0) return [];
      const values = run(embedder, inputs);
      const dim = values.length / inputs.length;
      return Array.from({ length: inputs.length }, (_, i) => Array.from(values.subarray(i * dim, (i + 1) * dim)));
    },
    // The embedder shares the network's layers; disposing the network frees their weights.
    dispose: () => network.dispose(),
  };
}

interface Encoder {
  width: number;
  /** For error messages: what one network input row is. */
  describe: string;
  encode(inputs: ModelInputs): Float32Array;
}

function tabularEncoder(metadata: TabularModelMetadata): Encoder {
  const width = metadata.featureNames.length;
  const names = metadata.featureNames.join(', ');
  return {
    width,
    describe: `${width} features`,
    encode: (inputs) => {
      inputs.forEach((row, i) => {
        if (typeof row === 'string') throw new DataError(`input ${i} is a text; the model expects rows of ${width} numbers (${names})`);
        if (row.length !== width) throw new DataError(`input row ${i} has ${row.length} values; the model expects ${width} (${names})`);
      });
      return standardize(inputs as readonly (readonly number[])[], metadata.features);
    },
  };
}

function textEncoder(metadata: TextModelMetadata): Encoder {
  const vocabulary = new Vocabulary(metadata.tokenizer.vocabulary, metadata.tokenizer.maxLength);
  return {
    width: vocabulary.maxLength,
    describe: `${vocabulary.maxLength} token ids`,
    encode: (inputs) => {
      const texts = inputs.map((text, i) => {
        if (typeof text !== 'string') throw new DataError(`input ${i} is not a text; the model classifies texts`);
        return text;
      });
      return vocabulary.encodeAll(texts);
    },
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
