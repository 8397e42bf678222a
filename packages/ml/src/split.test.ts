import { describe, expect, it } from 'vitest';
import { seededRandom } from '@trainyard/shared/platform';
import { shuffle } from './random.js';
import { splitRows } from './split.js';

describe('seededRandom', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = shuffle([...items], seededRandom(1));
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
  });
});

describe('splitRows', () => {
  const classes = [...Array<number>(50).fill(0), ...Array<number>(30).fill(1), ...Array<number>(20).fill(2)];

  it('holds out the fraction of every class and uses each row once', () => {
    const split = splitRows(classes.length, 0.2, seededRandom(3), classes);
    const countOf = (rows: number[], c: number) => rows.filter((r) => classes[r] === c).length;
    expect([0, 1, 2].map((c) => countOf(split.validation, c))).toEqual([10, 6, 4]);
    expect([...split.train, ...split.validation].sort((a, b) => a - b)).toEqual(classes.map((_, i) => i));
  });

  it('is the same for the same seed', () => {
    expect(splitRows(100, 0.3, seededRandom(9))).toEqual(splitRows(100, 0.3, seededRandom(9)));
    expect(splitRows(100, 0.3, seededRandom(9))).not.toEqual(splitRows(100, 0.3, seededRandom(10)));
  });

  it('holds nothing out for a fraction of 0 and keeps a row to train on for tiny data', () => {
    expect(splitRows(10, 0, seededRandom(1)).validation).toEqual([]);
    const tiny = splitRows(2, 0.5, seededRandom(1), [0, 1]);
    expect(tiny.train).toHaveLength(2);
  });
});
