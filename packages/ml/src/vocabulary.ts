import { tokenize } from './tokenize.js';

/** Pads a text to its fixed length; the model leaves it out of the mean. */
export const paddingId = 0;
/** Stands for every word the vocabulary does not hold. */
export const unknownId = 1;
const firstWordId = 2;

/**
 * The words a text classifier trained before TF-IDF knows (stored in its model.json) and the
 * fixed-length id sequences its network reads. A word's id is its index + 2.
 */
export class Vocabulary {
  private readonly ids: Map<string, number>;

  constructor(
    readonly words: readonly string[],
    readonly maxLength: number,
  ) {
    this.ids = new Map(words.map((w, i) => [w, i + firstWordId]));
  }

  /** Rows of the embedding table: padding, unknown and one per word. */
  get size(): number {
    return this.words.length + firstWordId;
  }

  /** The first maxLength token ids of a text, padded with paddingId. */
  encode(text: string): number[] {
    const ids = tokenize(text)
      .slice(0, this.maxLength)
      .map((token) => this.ids.get(token) ?? unknownId);
    return ids.concat(new Array<number>(this.maxLength - ids.length).fill(paddingId));
  }

  /** Texts as one row-major buffer of ids, ready for a [texts, maxLength] tensor. */
  encodeAll(texts: readonly string[]): Float32Array {
    const out = new Float32Array(texts.length * this.maxLength);
    texts.forEach((text, row) => out.set(this.encode(text), row * this.maxLength));
    return out;
  }
}
