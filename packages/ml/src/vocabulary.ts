import { tokenize } from './tokenize.js';

/** Pads a text to its fixed length; the model leaves it out of the mean. */
export const paddingId = 0;
/** Stands for every word the vocabulary does not hold. */
export const unknownId = 1;
const firstWordId = 2;

export interface VocabularyLimits {
  /** Words kept, the most frequent first. */
  maxVocab: number;
  /** Occurrences a word needs in the training texts to be kept. */
  minCount: number;
  /** Tokens read per text; the rest is cut off (and not counted). */
  maxLength: number;
}

/** The words a text model knows and the fixed-length id sequences it reads. A word's id is its index + 2. */
export class Vocabulary {
  private readonly ids: Map<string, number>;

  constructor(
    readonly words: readonly string[],
    readonly maxLength: number,
  ) {
    this.ids = new Map(words.map((w, i) => [w, i + firstWordId]));
  }

  /** Learns the vocabulary from training texts; ties in frequency go alphabetically, so it never depends on row order. */
  static fit(texts: Iterable<string>, limits: VocabularyLimits): Vocabulary {
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const token of tokenize(text).slice(0, limits.maxLength)) counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    const words = [...counts]
      .filter(([, count]) => count >= limits.minCount)
      .sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1))
      .slice(0, limits.maxVocab)
      .map(([w]) => w);
    return new Vocabulary(words, limits.maxLength);
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
