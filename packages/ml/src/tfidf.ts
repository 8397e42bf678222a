import type { SparseRow } from './design-matrix.js';
import { tokenize } from './tokenize.js';

export interface TfidfSettings {
  /** Longest word sequence that becomes a term. */
  ngrams: number;
  /** Tokens read per text. */
  maxLength: number;
}

export interface TfidfLimits extends TfidfSettings {
  /** Terms kept, those in the most texts first. */
  maxVocab: number;
  /** Training texts a term must appear in. */
  minCount: number;
}

/** A text as the model sees it: its TF-IDF row, and how much of it the vocabulary knows. */
export interface TextVector extends SparseRow {
  /**
   * Share of the text's words the vocabulary knows, each word weighted by its idf (an unknown
   * word counts as the rarest known one): a text of unknown words scores near 0 even when its
   * stop words are known.
   */
  known: number;
}

/**
 * Term frequency–inverse document frequency over words and word n-grams, as scikit-learn's
 * TfidfVectorizer with sublinear_tf: tf = 1 + ln(count), idf = ln((1 + n) / (1 + df)) + 1, rows
 * scaled to unit length. Fitted on the training texts only.
 */
export class Tfidf {
  private readonly index: Map<string, number>;
  private readonly unknownIdf: number;

  constructor(
    readonly terms: readonly string[],
    readonly idf: readonly number[],
    readonly settings: TfidfSettings,
  ) {
    this.index = new Map(terms.map((term, i) => [term, i]));
    this.unknownIdf = idf.reduce((max, value) => Math.max(max, value), 1);
  }

  /**
   * Learns the terms and their idf from training texts, given as their tokens (see tokenize);
   * ties in frequency go alphabetically, so row order never matters.
   */
  static fit(texts: readonly (readonly string[])[], limits: TfidfLimits): Tfidf {
    const documentFrequency = new Map<string, number>();
    for (const tokens of texts) {
      for (const term of new Set(termsOf(tokens, limits))) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    }
    const kept = [...documentFrequency]
      .filter(([, count]) => count >= limits.minCount)
      .sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1))
      .slice(0, limits.maxVocab);
    const idf = kept.map(([, count]) => Math.log((1 + texts.length) / (1 + count)) + 1);
    return new Tfidf(
      kept.map(([term]) => term),
      idf,
      { ngrams: limits.ngrams, maxLength: limits.maxLength },
    );
  }

  get size(): number {
    return this.terms.length;
  }

  vector(text: string): TextVector {
    return this.vectorOf(tokenize(text));
  }

  /** The vector of a text given as its tokens: training tokenizes each text once. */
  vectorOf(tokens: readonly string[]): TextVector {
    const counts = new Map<number, number>();
    for (const term of termsOf(tokens, this.settings)) {
      const id = this.index.get(term);
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const indexes = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
    const values = Float64Array.from(indexes, (id) => (1 + Math.log(counts.get(id)!)) * this.idf[id]!);
    let norm = 0;
    for (const value of values) norm += value * value;
    // A text without a known term stays the zero vector.
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < values.length; i++) values[i]! /= norm;
    return { indexes, values, known: this.knownShare(tokens) };
  }

  private knownShare(tokens: readonly string[]): number {
    let known = 0;
    let total = 0;
    for (const word of tokens.slice(0, this.settings.maxLength)) {
      const id = this.index.get(word);
      const weight = id === undefined ? this.unknownIdf : this.idf[id]!;
      total += weight;
      if (id !== undefined) known += weight;
    }
    return total === 0 ? 0 : known / total;
  }
}

/** The text's first maxLength words and every run of up to `ngrams` consecutive words among them. */
function termsOf(tokens: readonly string[], settings: TfidfSettings): string[] {
  const words = tokens.slice(0, settings.maxLength);
  const terms = [...words];
  for (let n = 2; n <= settings.ngrams; n++) {
    for (let i = 0; i + n <= words.length; i++) terms.push(words.slice(i, i + n).join(' '));
  }
  return terms;
}
