import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { DataError } from '@trainyard/shared/platform';
import type { LinearWeights } from './linear.js';
import { tabularMetadata, tfidfTextMetadata, tokenTextMetadata, type TabularModelMetadata, type TfidfTextMetadata, type TokenTextMetadata } from './metadata.js';

/** A stored model: model.json (format, metadata, weight layout) and weights.bin. */
export interface ModelFiles {
  'model.json': string;
  'weights.bin': Uint8Array;
}

/** ModelFiles as read back from storage, where model.json arrives as bytes. */
export interface StoredModelFiles {
  'model.json': string | Uint8Array;
  'weights.bin': Uint8Array;
}

/** tfjs layers models keep our metadata under this key of userDefinedMetadata. */
export const tfjsMetadataKey = 'trainyard';
const linearFormat = 'trainyard-linear';

/**
 * model.json of a linear model (linear and logistic regression, TF-IDF text classifiers): read
 * with plain typed arrays, no tfjs. weights.bin holds the kernel (outputs × inputs) then the bias,
 * little-endian float32.
 */
const linearModelJson = z.object({
  format: z.literal(linearFormat),
  trainyard: z.union([tabularMetadata, tfidfTextMetadata]),
  weights: z.object({ inputs: z.int().min(1), outputs: z.int().min(1) }),
});

/** Networks (and every model trained before the linear format) are tfjs layers models. */
const tfjsModelJson = z.looseObject({
  format: z.literal('layers-model'),
  weightsManifest: z.array(z.unknown()),
  userDefinedMetadata: z.object({ [tfjsMetadataKey]: z.union([tabularMetadata, tokenTextMetadata]) }),
});

export type ReadArtifact =
  | { format: 'linear'; metadata: TabularModelMetadata | TfidfTextMetadata; weights: LinearWeights; sizeBytes: number }
  | { format: 'tfjs'; metadata: TabularModelMetadata | TokenTextMetadata; modelJson: tf.io.ModelJSON; weightData: ArrayBuffer; sizeBytes: number };

export function linearArtifact(metadata: TabularModelMetadata | TfidfTextMetadata, weights: LinearWeights): ModelFiles {
  const modelJson: z.input<typeof linearModelJson> = { format: linearFormat, trainyard: metadata, weights: { inputs: weights.inputs, outputs: weights.outputs } };
  const values = new Float32Array(weights.kernel.length + weights.bias.length);
  values.set(weights.kernel);
  values.set(weights.bias, weights.kernel.length);
  return { 'model.json': JSON.stringify(modelJson), 'weights.bin': new Uint8Array(values.buffer) };
}

/** Parses stored files; a file that is not one of our artifacts is a DataError. */
export function readArtifact(files: StoredModelFiles): ReadArtifact {
  const raw = files['model.json'];
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DataError('model.json is not valid JSON');
  }
  const weights = files['weights.bin'];
  const sizeBytes = new TextEncoder().encode(text).byteLength + weights.byteLength;
  // Copies exactly these bytes: a Buffer may be a view into a larger shared pool (and its slice() is no copy).
  const weightData = new Uint8Array(weights).buffer;
  const linear = linearModelJson.safeParse(json);
  if (linear.success) return { format: 'linear', metadata: linear.data.trainyard, weights: linearWeights(linear.data.weights, weightData), sizeBytes };
  const network = tfjsModelJson.safeParse(json);
  if (network.success) {
    const modelJson = network.data as unknown as tf.io.ModelJSON;
    return { format: 'tfjs', metadata: network.data.userDefinedMetadata[tfjsMetadataKey], modelJson, weightData, sizeBytes };
  }
  const issue = (linear.error.issues.length <= network.error.issues.length ? linear : network).error.issues[0];
  throw new DataError(`model.json is not a Trainyard model: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown format'}`);
}

function linearWeights({ inputs, outputs }: { inputs: number; outputs: number }, data: ArrayBuffer): LinearWeights {
  const values = new Float32Array(data.byteLength % 4 === 0 ? data : new ArrayBuffer(0));
  if (values.length !== (inputs + 1) * outputs) {
    throw new DataError(`weights.bin holds ${data.byteLength} bytes; ${inputs} inputs and ${outputs} outputs need ${(inputs + 1) * outputs * 4}`);
  }
  return { inputs, outputs, kernel: values.subarray(0, inputs * outputs), bias: values.subarray(inputs * outputs) };
}

