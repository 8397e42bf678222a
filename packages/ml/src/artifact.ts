import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { algorithms, type Algorithm } from '@trainyard/shared/jobs';
import { DataError } from '@trainyard/shared/platform';

/** A stored model: a tfjs layers-model JSON (topology, weight manifest, our metadata) and its weights. */
export interface ModelFiles {
  'model.json': string;
  'weights.bin': Uint8Array;
}

/** ModelFiles as read back from storage, where model.json arrives as bytes. */
export interface StoredModelFiles {
  'model.json': string | Uint8Array;
  'weights.bin': Uint8Array;
}

const metadataKey = 'trainyard';
const weightsPath = 'weights.bin';

const standardization = z.object({ mean: z.array(z.number()), std: z.array(z.number().positive()) });
const classes = z.array(z.union([z.string(), z.number()])).min(2);
const common = {
  algorithm: z.enum(algorithms as [Algorithm, ...Algorithm[]]),
  // Artifacts from before text models have no input field.
  input: z.literal('tabular').default('tabular'),
  featureNames: z.array(z.string()).min(1),
  /** Applied to every input row before the network sees it. */
  features: standardization,
};

const tabularMetadata = z
  .discriminatedUnion('task', [
    z.object({ ...common, task: z.literal('classification'), classes }),
    // The network predicts the standardized target; prediction maps it back to target units.
    z.object({ ...common, task: z.literal('regression'), target: z.object({ mean: z.number(), std: z.number().positive() }) }),
  ])
  .refine((meta) => meta.features.mean.length === meta.featureNames.length && meta.features.std.length === meta.featureNames.length, {
    message: 'feature statistics do not match the feature names',
  });

/** A text classifier reads token ids: its vocabulary travels with it. */
const textMetadata = z.object({
  algorithm: z.literal('text-classifier'),
  input: z.literal('text'),
  task: z.literal('classification'),
  /** The text column it was trained on; its one feature. */
  textName: z.string(),
  classes,
  tokenizer: z.object({ vocabulary: z.array(z.string()), maxLength: z.int().min(1) }),
});

/** Everything prediction needs besides the network, kept inside model.json so the files stand alone. */
const modelMetadata = z.union([tabularMetadata, textMetadata]);
export type ModelMetadata = z.output<typeof modelMetadata>;
export type TabularModelMetadata = z.output<typeof tabularMetadata>;
export type TextModelMetadata = z.output<typeof textMetadata>;

export async function saveArtifact(network: tfl.LayersModel, metadata: ModelMetadata): Promise<ModelFiles> {
  let saved: tf.io.ModelArtifacts | undefined;
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (!saved?.weightSpecs || !saved.weightData) throw new Error('tfjs saved a model without weights');
  const modelJson: tf.io.ModelJSON = {
    format: 'layers-model',
    generatedBy: saved.generatedBy,
    convertedBy: null,
    modelTopology: saved.modelTopology as {},
    weightsManifest: [{ paths: [weightsPath], weights: saved.weightSpecs }],
    userDefinedMetadata: { [metadataKey]: metadata },
  };
  return {
    'model.json': JSON.stringify(modelJson),
    'weights.bin': new Uint8Array(tf.io.CompositeArrayBuffer.join(saved.weightData)),
  };
}

export interface ReadArtifact {
  /** What a tfjs IOHandler hands to loadLayersModel: built from memory, no file system or network. */
  artifacts: tf.io.ModelArtifacts;
  metadata: ModelMetadata;
  sizeBytes: number;
}

/** Parses stored files; a file that is not one of our artifacts is a DataError. */
export function readArtifact(files: StoredModelFiles): ReadArtifact {
  const raw = files['model.json'];
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(text) as tf.io.ModelJSON;
  } catch {
    throw new DataError('model.json is not valid JSON');
  }
  const metadata = modelMetadata.safeParse(modelJson.userDefinedMetadata?.[metadataKey]);
  if (!metadata.success || !Array.isArray(modelJson.weightsManifest)) {
    throw new DataError(`model.json is not a Trainyard model: ${metadata.error?.issues[0]?.message ?? 'no weights manifest'}`);
  }
  const weights = files['weights.bin'];
  // Copies exactly these bytes: a Buffer may be a view into a larger shared pool (and its slice() is no copy).
  const weightData = new Uint8Array(weights).buffer;
  const artifacts = tf.io.getModelArtifactsForJSONSync(modelJson, tf.io.getWeightSpecs(modelJson.weightsManifest), weightData);
  return { artifacts, metadata: metadata.data, sizeBytes: new TextEncoder().encode(text).byteLength + weights.byteLength };
}
