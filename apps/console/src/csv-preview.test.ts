import { describe, expect, it } from 'vitest';
import { firstRecords } from './csv-preview.js';

describe('firstRecords', () => {
  it('when fields are quoted with commas, quotes and line breaks, then they come out whole', () => {
    const csv = 'name,note\r\n"Lyon, FR","said ""hi""\nthen left"\n\nParis,x\n';
    expect(firstRecords(csv, 10, true)).toEqual([
      ['name', 'note'],
      ['Lyon, FR', 'said "hi"\nthen left'],
      ['Paris', 'x'],
    ]);
  });

  it('when only the start of a file is read, then the cut-off record is left out and at most count come back', () => {
    expect(firstRecords('a,b\n1,2\n3,4\n5,', 10)).toEqual([['a', 'b'], ['1', '2'], ['3', '4']]);
    expect(firstRecords('a,b\n1,2\n3,4\n', 2)).toEqual([['a', 'b'], ['1', '2']]);
    expect(firstRecords('a,b\n1,2', 10, true)).toEqual([['a', 'b'], ['1', '2']]);
  });
});
