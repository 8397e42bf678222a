import { describe, expect, it } from 'vitest';
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

describe('Vocabulary', () => {
  const texts = ['the app crashes', 'the app is slow', 'the parcel is late', 'refund the charge'];

  it('orders words by frequency, ties alphabetically, and gives ids from 2', () => {
    const vocabulary = Vocabulary.fit(texts, { maxVocab: 100, minCount: 1, maxLength: 8 });
    expect(vocabulary.words).toEqual(['the', 'app', 'is', 'charge', 'crashes', 'late', 'parcel', 'refund', 'slow']);
    expect(vocabulary.size).toBe(11);
    expect(vocabulary.encode('The APP')).toEqual([2, 3, 0, 0, 0, 0, 0, 0]);
  });

  it('does not depend on the order of the texts', () => {
    const limits = { maxVocab: 5, minCount: 1, maxLength: 4 };
    expect(Vocabulary.fit([...texts].reverse(), limits).words).toEqual(Vocabulary.fit(texts, limits).words);
  });

  it('caps the vocabulary at max_vocab and drops words rarer than min_count', () => {
    expect(Vocabulary.fit(texts, { maxVocab: 2, minCount: 1, maxLength: 8 }).words).toEqual(['the', 'app']);
    expect(Vocabulary.fit(texts, { maxVocab: 100, minCount: 2, maxLength: 8 }).words).toEqual(['the', 'app', 'is']);
  });

  it('maps unknown words to the unknown id, pads short texts and cuts long ones', () => {
    const vocabulary = new Vocabulary(['app', 'slow'], 3);
    expect(vocabulary.encode('slow')).toEqual([3, paddingId, paddingId]);
    expect(vocabulary.encode('my app is very slow')).toEqual([unknownId, 2, unknownId]);
    expect(vocabulary.encode('')).toEqual([paddingId, paddingId, paddingId]);
  });

  it('counts only the tokens a model reads', () => {
    // "late" only appears after the cut, so it never takes a place in the vocabulary.
    expect(Vocabulary.fit(['parcel is late', 'parcel is'], { maxVocab: 10, minCount: 1, maxLength: 2 }).words).toEqual(['is', 'parcel']);
  });

  it('encodes many texts into one row-major buffer', () => {
    const vocabulary = new Vocabulary(['a', 'b'], 2);
    expect(Array.from(vocabulary.encodeAll(['a b', 'b', 'c a']))).toEqual([2, 3, 3, 0, 1, 2]);
  });
});
