/** A word: letters and digits, with inner apostrophes kept ("don't", "o'clock"). */
const word = /[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu;

/**
 * Lower-cased word tokens. NFKC folds compatibility forms (full-width letters, ligatures) and typographic
 * apostrophes become ASCII ones, so the same word typed two ways is one token.
 */
export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'").match(word) ?? [];
}
