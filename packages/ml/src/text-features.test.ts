import { describe, expect, it } from 'vitest';
import { Tfidf } from './tfidf.js';
import { tokenize } from './tokenize.js';
import { paddingId, unknownId, Vocabulary } from './vocabulary.js';

describe('tokenize', () => {
  it('lower-cases and keeps words and numbers, dropping punctuation', () => {
    expect(tokenize('Hi! My ORDER #4521 arrived—damaged, again...')).toEqual(['hi', 'my', 'order', '4521', 'arrived', 'damaged', 'again']);
  });

  it('keeps inner apostrophes, typographic or not, and letters beyond ASCII', () => {
    expect(tokenize("I don’t get it, it's the café's app")).toEqual(['i', "don't", 'get', 'it', "it's", 'the', "café's", 'app']);
    expect(tokenize('ＡＰＰ Straße')).toEqual(['app', 'straße']);
  });

  it('gives nothing for a text without words', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize(' ?! -- ')).toEqual([]);
  });
});

describe('Vocabulary (text models trained before TF-IDF)', () => {
  it('maps unknown words to the unknown id, pads short texts and cuts long ones', () => {
    const vocabulary = new Vocabulary(['app', 'slow'], 3);
    expect(vocabulary.size).toBe(4);
    expect(vocabulary.encode('slow')).toEqual([3, paddingId, paddingId]);
    expect(vocabulary.encode('my app is very slow')).toEqual([unknownId, 2, unknownId]);
    expect(vocabulary.encode('')).toEqual([paddingId, paddingId, paddingId]);
  });

  it('encodes many texts into one row-major buffer', () => {
    const vocabulary = new Vocabulary(['a', 'b'], 2);
    expect(Array.from(vocabulary.encodeAll(['a b', 'b', 'c a']))).toEqual([2, 3, 3, 0, 1, 2]);
  });
});

describe('Tfidf', () => {
  const texts = ['the app crashes', 'the app is slow', 'the parcel is late', 'refund the charge'].map(tokenize);
  const limits = { ngrams: 1, maxLength: 8, maxVocab: 100, minCount: 1 };

  it('orders terms by the texts they appear in, ties alphabetically, with smoothed idf', () => {
    const tfidf = Tfidf.fit(texts, limits);
    expect(tfidf.terms).toEqual(['the', 'app', 'is', 'charge', 'crashes', 'late', 'parcel', 'refund', 'slow']);
    // idf = ln((1 + n) / (1 + df)) + 1, as scikit-learn's smooth_idf.
    expect(tfidf.idf[0]).toBeCloseTo(Math.log(5 / 5) + 1, 12);
    expect(tfidf.idf[1]).toBeCloseTo(Math.log(5 / 3) + 1, 12);
    expect(Tfidf.fit([...texts].reverse(), limits).terms).toEqual(tfidf.terms);
  });

  it('caps the terms at maxVocab, drops rarer ones than minCount, and counts only the tokens read', () => {
    expect(Tfidf.fit(texts, { ...limits, maxVocab: 2 }).terms).toEqual(['the', 'app']);
    expect(Tfidf.fit(texts, { ...limits, minCount: 2 }).terms).toEqual(['the', 'app', 'is']);
    expect(Tfidf.fit([tokenize('parcel is late'), tokenize('parcel is')], { ...limits, maxLength: 2 }).terms).toEqual(['is', 'parcel']);
  });

  it('adds word n-grams up to ngrams', () => {
    expect(Tfidf.fit([tokenize('refund the charge')], { ...limits, ngrams: 2 }).terms).toEqual(['charge', 'refund', 'refund the', 'the', 'the charge']);
  });

  it('vectors have unit length, sublinear term frequencies, and say how much of the text is known', () => {
    const tfidf = Tfidf.fit(texts, limits);
    const vector = tfidf.vector('the APP app crashes');
    expect(Array.from(vector.indexes)).toEqual([0, 1, 4]);
    const raw = [tfidf.idf[0]!, (1 + Math.log(2)) * tfidf.idf[1]!, tfidf.idf[4]!];
    const norm = Math.hypot(...raw);
    raw.forEach((value, i) => expect(vector.values[i]).toBeCloseTo(value / norm, 12));
    expect(vector.known).toBe(1);
    // Unknown words weigh as much as the rarest known one, so known stop words cannot carry a text.
    expect(tfidf.vector('the weather in paris').known).toBeLessThan(0.2);
    const nothing = tfidf.vector('bonjour');
    expect(nothing.indexes).toHaveLength(0);
    expect(nothing.known).toBe(0);
  });
});
