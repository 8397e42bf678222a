import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DataError } from '@trainyard/shared/platform';
import type { ReadArtifact } from './artifact.js';
import { initBackend } from './backend.js';
import { featureRows, textInputs, type ModelInputs } from './inputs.js';
import type { TabularModelMetadata, TokenTextMetadata } from './metadata.js';
import { standardize } from './standardize.js';
// Registers the embedding bag layer that text models trained before TF-IDF need to load.
import { embeddingModel } from './text-network.js';
import { Vocabulary } from './vocabulary.js';

/** A tfjs layers model (an MLP, or a model trained before the linear format): outputs and, for old text models, embeddings. */
export interface TfjsModel {
  /** Class probabilities (rows × classes) or values in target units. */
  outputs(inputs: ModelInputs): Float64Array;
  embed(inputs: ModelInputs): number[][];
  dispose(): void;
}

export async function loadTfjsModel(artifact: Extract<ReadArtifact, { format: 'tfjs' }>): Promise<TfjsModel> {
  await initBackend();
  const { metadata } = artifact;
  const network = await tfl.loadLayersModel(tf.io.fromMemory(tfjsArtifacts(artifact)));
  const encoder = metadata.input === 'text' ? tokenEncoder(metadata) : tabularEncoder(metadata);
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
    outputs: (inputs) => {
      const values = Float64Array.from(run(network, inputs));
      if (metadata.task === 'regression') {
        // The network predicts the standardized target.
        const { mean, std } = metadata.target;
        for (let i = 0; i < values.length; i++) values[i] = values[i]! * std + mean;
      }
      return values;
    },
    embed: (inputs) => {
      if (!embedder) throw new DataError('only text models return embeddings');
      const values = run(embedder, inputs);
      const dim = values.length / inputs.length;
      return Array.from({ length: inputs.length }, (_, i) => Array.from(values.subarray(i * dim, (i + 1) * dim)));
    },
    // The embedder shares the network's layers; disposing the network frees their weights.
    dispose: () => network.dispose(),
  };
}

function tfjsArtifacts({ modelJson, weightData }: Extract<ReadArtifact, { format: 'tfjs' }>): tf.io.ModelArtifacts {
  return tf.io.getModelArtifactsForJSONSync(modelJson, tf.io.getWeightSpecs(modelJson.weightsManifest), weightData);
}

interface Encoder {
  width: number;
  /** For error messages: what one network input row is. */
  describe: string;
  encode(inputs: ModelInputs): Float32Array;
}

function tabularEncoder(metadata: TabularModelMetadata): Encoder {
  const width = metadata.featureNames.length;
  return { width, describe: `${width} features`, encode: (inputs) => standardize(featureRows(inputs, metadata.featureNames), metadata.features) };
}

function tokenEncoder(metadata: TokenTextMetadata): Encoder {
  const vocabulary = new Vocabulary(metadata.tokenizer.vocabulary, metadata.tokenizer.maxLength);
  return {
    width: vocabulary.maxLength,
    describe: `${vocabulary.maxLength} token ids`,
    encode: (inputs) => vocabulary.encodeAll(textInputs(inputs)),
  };
}
