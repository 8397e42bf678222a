import type { TextVector } from './tfidf.js';

/** Each vocabulary term's bucket and sign in the hashed embedding. */
export interface TermHashes {
  dim: number;
  bucket: Int32Array;
  sign: Float64Array;
}

/**
 * A text whose words are less known than this (idf-weighted, see Tfidf) embeds as the zero
 * vector: the semantic cache then matches it with nothing, however well its few known words fit.
 */
export const minKnownShare = 0.6;
/**
 * How much of an embedding's length is the text's words (the rest is the model's answer): a
 * cosine of two embeddings is lexical·similarity of the words + (1 − lexical)·agreement of the
 * answers. Chosen on the paraphrase set of apps/api/test/semantic-cache.int.test.ts (see
 * docs/caching.md): at the default threshold 0.9, 0.5 let 5 of 16 paraphrases miss; 0.35 keeps
 * every paraphrase above 0.91 and every near miss below 0.84.
 */
export const lexicalWeight = 0.35;

export function termHashes(terms: readonly string[], dim: number): TermHashes {
  const bucket = new Int32Array(terms.length);
  const sign = new Float64Array(terms.length);
  terms.forEach((term, i) => {
    const hash = fnv1a(term);
    bucket[i] = hash % dim;
    sign[i] = (hash >>> 31) & 1 ? -1 : 1;
  });
  return { dim, bucket, sign };
}

/**
 * The embedding the semantic cache compares: the text's unit TF-IDF vector hashed into `dim`
 * signed buckets (feature hashing keeps dot products, in expectation, at a fixed width), then the
 * square roots of the class probabilities (a unit vector whose dot product with another is their
 * Bhattacharyya coefficient), each part scaled so the whole has unit length. Two texts are close
 * only when they share their informative words and the model answers them alike. Texts mostly
 * made of words the model never saw embed as zeros (cosine 0 with everything).
 */
export function hashedTextEmbedding(vector: TextVector, hashes: TermHashes, probabilities: ArrayLike<number>): number[] {
  const embedding = new Array<number>(hashes.dim + probabilities.length).fill(0);
  if (vector.known < minKnownShare) return embedding;
  for (let e = 0; e < vector.indexes.length; e++) {
    const term = vector.indexes[e]!;
    embedding[hashes.bucket[term]!]! += hashes.sign[term]! * vector.values[e]!;
  }
  // Collisions change the hashed vector's length a little: scale it back to exactly √lexicalWeight.
  let norm = 0;
  for (let i = 0; i < hashes.dim; i++) norm += embedding[i]! ** 2;
  const scale = Math.sqrt(lexicalWeight) / (Math.sqrt(norm) || 1);
  for (let i = 0; i < hashes.dim; i++) embedding[i]! *= scale;
  const answerScale = Math.sqrt(1 - lexicalWeight);
  for (let c = 0; c < probabilities.length; c++) embedding[hashes.dim + c] = answerScale * Math.sqrt(probabilities[c]!);
  return embedding;
}

/** 32-bit FNV-1a of the string's UTF-16 code units: stable across processes and versions. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
