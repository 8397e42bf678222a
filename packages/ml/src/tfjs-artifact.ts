import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { tfjsMetadataKey, type ModelFiles } from './artifact.js';
import type { TabularModelMetadata } from './metadata.js';

const weightsPath = 'weights.bin';

/** A network as a tfjs layers-model JSON (topology, weight manifest, our metadata) and its weights. */
export async function saveNetworkArtifact(network: tfl.LayersModel, metadata: TabularModelMetadata): Promise<ModelFiles> {
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
    userDefinedMetadata: { [tfjsMetadataKey]: metadata },
  };
  return {
    'model.json': JSON.stringify(modelJson),
    'weights.bin': new Uint8Array(tf.io.CompositeArrayBuffer.join(saved.weightData)),
  };
}
