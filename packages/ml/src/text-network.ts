import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { paddingId } from './vocabulary.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

interface EmbeddingBagArgs extends LayerArgs {
  /** Rows of the table: the vocabulary's size. */
  inputDim: number;
  outputDim: number;
  seed?: number;
}

/**
 * Text classifiers trained before TF-IDF: this layer is what their stored networks need to load.
 *
 * Reads rows of token ids and returns, per row, the mean of the tokens' learnt embeddings with
 * padding left out: the pooled text embedding.
 *
 * tfjs's own Embedding layer cannot train on the wasm backend (the gradient of gather needs
 * UnsortedSegmentSum, which wasm lacks), so the lookup carries its own gradient: the incoming
 * gradient scatter-added into the table rows that were read.
 */
export class EmbeddingBag extends tfl.layers.Layer {
  static readonly className = 'TrainyardEmbeddingBag';
  private readonly inputDim: number;
  private readonly outputDim: number;
  private readonly seed: number | undefined;
  private table: tfl.LayerVariable | undefined;

  constructor(args: EmbeddingBagArgs) {
    super(args);
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.seed = args.seed;
  }

  override build(): void {
    // As Keras initializes embeddings: small and uniform.
    const initializer = tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed });
    this.table = this.addWeight('embeddings', [this.inputDim, this.outputDim], 'float32', initializer);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape): tfl.Shape {
    return [inputShape[0] ?? null, this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = tf.cast(Array.isArray(inputs) ? inputs[0]! : inputs, 'int32');
      const vectors = lookup(this.table!.read(), ids);
      const mask = tf.expandDims(tf.cast(tf.notEqual(ids, paddingId), 'float32'), 2);
      // An empty text has no tokens: its embedding is zero rather than 0/0.
      const counts = tf.maximum(tf.sum(mask, 1), 1);
      return tf.div(tf.sum(tf.mul(vectors, mask), 1), counts);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim, ...(this.seed !== undefined && { seed: this.seed }) };
  }
}
tf.serialization.registerClass(EmbeddingBag);

/** gather(table, ids), whose gradient for the table is a scatter-add: kernels the wasm backend has. */
const lookup = tf.customGrad(((table: tf.Tensor, ids: tf.Tensor, save: tf.GradSaveFunc) => {
  save([ids]);
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
      const rows = tf.reshape(saved!, [-1, 1]);
      return [tf.scatterND(rows, tf.reshape(dy, [rows.shape[0], table.shape[1]!]), table.shape), tf.zerosLike(saved!)];
    },
  };
  // customGrad's typing takes one variadic signature; ours has a fixed (table, ids) shape.
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (table: tf.Tensor, ids: tf.Tensor) => tf.Tensor;

/** The layer whose output predict returns for `"output":"embedding"`. */
export const embeddingLayerName = 'embedding_bag';

/** A model sharing the network's weights that stops at the pooled embedding. */
export function embeddingModel(network: tfl.LayersModel): tfl.LayersModel {
  return tfl.model({ inputs: network.inputs, outputs: network.getLayer(embeddingLayerName).output as tfl.SymbolicTensor });
}
