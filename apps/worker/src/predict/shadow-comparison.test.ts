import { describe, expect, it } from 'vitest';
import { compareShadow } from './shadow-comparison.js';

const label = (value: string) => ({ label: value, probabilities: { [value]: 1 } });

describe('compareShadow', () => {
  it('counts the rows where a classifier shadow gives the same label', () => {
    expect(compareShadow([label('a'), label('b'), label('a')], [label('a'), label('a'), label('a')])).toEqual({ field: 'agreed', rows: 3, value: 2 });
  });

  it('sums the absolute differences of a regressor shadow', () => {
    const comparison = compareShadow([{ value: 1 }, { value: 5 }], [{ value: 1.5 }, { value: 3 }]);
    expect(comparison).toEqual({ field: 'abs_diff', rows: 2, value: 2.5 });
  });
});
