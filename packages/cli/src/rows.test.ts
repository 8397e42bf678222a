import { describe, expect, it } from 'vitest';
import { rowFromArgument, rowsFromCsv, UsageError } from './rows.js';

describe('rows from the command line', () => {
  it('reads comma-separated values as one row in feature order', () => {
    expect(rowFromArgument('5.1,3.5, 1.4,0.2', false)).toEqual([5.1, 3.5, 1.4, 0.2]);
  });

  it('keeps a text model’s input as the text it is, commas included', () => {
    expect(rowFromArgument('refund, please', true)).toBe('refund, please');
  });

  it('names the value that is not a number', () => {
    expect(() => rowFromArgument('5.1,abc', false)).toThrow(new UsageError('value 2 of "5.1,abc" is not a number: "abc"'));
  });
});

describe('rows from a CSV file', () => {
  it('turns rows under a header into records keyed by its names', () => {
    expect(rowsFromCsv('petal_length,sepal_length\n1.4,5.1\n5.2,6.7\n', false)).toEqual([
      { petal_length: 1.4, sepal_length: 5.1 },
      { petal_length: 5.2, sepal_length: 6.7 },
    ]);
  });

  it('reads a file without a header as rows in feature order', () => {
    expect(rowsFromCsv('5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n', false)).toEqual([
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
    ]);
  });

  it('names the line and column of a bad value', () => {
    expect(() => rowsFromCsv('a,b\n1,2\n3,x\n', false)).toThrow('line 3, column 2 is not a number: "x"');
  });

  it('reads the text column of a text model’s file', () => {
    expect(rowsFromCsv('id,text\n1,"my card, it was charged twice"\n2,hello\n', true)).toEqual(['my card, it was charged twice', 'hello']);
  });
});
