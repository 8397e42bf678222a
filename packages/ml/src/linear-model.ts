import { DataError } from '@trainyard/shared/platform';
import { DenseMatrix, SparseMatrix, type DesignMatrix } from './design-matrix.js';
import { featureRows, textInputs, type ModelInputs } from './inputs.js';
import { linearScores, softmax, type LinearWeights } from './linear.js';
import type { TabularModelMetadata, TfidfTextMetadata } from './metadata.js';
import { standardize } from './standardize.js';
import { hashedTextEmbedding, type TermHashes, termHashes } from './text-embedding.js';
import { Tfidf } from './tfidf.js';

/**
 * A linear or logistic regression, or a TF-IDF text classifier, in plain typed arrays: what
 * training measures and what prediction runs, so both see the same numbers.
 */
export class LinearModel {
  private readonly encoder: (inputs: ModelInputs) => DesignMatrix;
  private readonly tfidf: Tfidf | undefined;
  private readonly hashes: TermHashes | undefined;

  readonly weights: LinearWeights;

  constructor(
    readonly metadata: TabularModelMetadata | TfidfTextMetadata,
    weights: LinearWeights,
  ) {
    // Stored as float32; computed in float64, converted once here rather than at every call.
    this.weights = { ...weights, kernel: Float64Array.from(weights.kernel), bias: Float64Array.from(weights.bias) };
    const outputs = metadata.task === 'classification' ? metadata.classes.length : 1;
    if (metadata.input === 'text') {
      this.tfidf = new Tfidf(metadata.tfidf.terms, metadata.tfidf.idf, metadata.tfidf);
      this.hashes = termHashes(metadata.tfidf.terms, metadata.embeddingDim);
      this.encoder = (inputs) => SparseMatrix.fromRows(textInputs(inputs).map((text) => this.tfidf!.vector(text)), this.tfidf!.size);
    } else {
      this.encoder = tabularEncoder(metadata);
    }
    const inputs = metadata.input === 'text' ? metadata.tfidf.terms.length : metadata.featureNames.length;
    if (weights.inputs !== inputs || weights.outputs !== outputs) {
      throw new DataError(`the weights do not match the metadata (${weights.inputs} × ${weights.outputs} for ${inputs} inputs and ${outputs} outputs)`);
    }
  }

  /** Class probabilities (rows × classes) or values in target units. */
  outputs(inputs: ModelInputs): Float64Array {
    return this.outputsOf(this.encoder(inputs));
  }

  /** outputs() of inputs encoded already: training encodes its rows once. */
  outputsOf(x: DesignMatrix): Float64Array {
    const scores = linearScores(this.weights, x);
    if (this.metadata.task === 'classification') return softmax(scores, this.weights.outputs);
    const { mean, std } = this.metadata.target;
    for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! * std + mean;
    return scores;
  }

  /** Text models: see text-embedding.ts. */
  embed(inputs: ModelInputs): number[][] {
    if (!this.tfidf || !this.hashes) throw new DataError('only text models return embeddings');
    const vectors = textInputs(inputs).map((text) => this.tfidf!.vector(text));
    const probabilities = softmax(linearScores(this.weights, SparseMatrix.fromRows(vectors, this.tfidf.size)), this.weights.outputs);
    return vectors.map((vector, i) =>
      hashedTextEmbedding(vector, this.hashes!, probabilities.subarray(i * this.weights.outputs, (i + 1) * this.weights.outputs)),
    );
  }
}

export function tabularEncoder(metadata: TabularModelMetadata): (inputs: ModelInputs) => DenseMatrix {
  const width = metadata.featureNames.length;
  return (inputs) => {
    const rows = featureRows(inputs, metadata.featureNames);
    return new DenseMatrix(standardize(rows, metadata.features, new Float64Array(rows.length * width)), rows.length, width);
  };
}
