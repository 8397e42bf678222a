import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { csvRecords } from '@trainyard/shared/datasets';
import { RecordSpans, type RecordSpan } from './record-spans.js';

/** Parses bytes as stored datasets are read. */
async function parse(bytes: Uint8Array | string): Promise<string[][]> {
  const records: string[][] = [];
  for await (const record of csvRecords(Readable.from([Buffer.from(bytes)]))) records.push(record);
  return records;
}

/** Splits the bytes, fed in pieces of `pieceSize`, into spans of `rows` records. */
function split(csv: string, rows: number, pieceSize: number): { spans: RecordSpan[]; headerEnd: number } {
  const bytes = Buffer.from(csv);
  const spans = new RecordSpans(rows);
  const found: RecordSpan[] = [];
  for (let at = 0; at < bytes.length; at += pieceSize) found.push(...spans.push(bytes.subarray(at, at + pieceSize)));
  found.push(...spans.end());
  return { spans: found, headerEnd: spans.headerEnd };
}

/** Each span parsed on its own, its records numbered from the span's first row. */
async function recordsBySpan(csv: string, rows: number, pieceSize: number): Promise<[row: number, record: string[]][]> {
  const bytes = Buffer.from(csv);
  const numbered: [number, string[]][] = [];
  for (const { start, end, firstRow, rows: count } of split(csv, rows, pieceSize).spans) {
    const records = await parse(bytes.subarray(start, end));
    expect(records).toHaveLength(count);
    numbered.push(...records.map((record, k): [number, string[]] => [firstRow + k, record]));
  }
  return numbered;
}

const tricky = [
  'name,comment,x',
  'a,"line one',
  'line two",1',
  '',
  'b,"say ""hi"", twice",2',
  '   ',
  'c,"ends with a newline',
  '",3\r',
  'd,plain,4',
  'e,"",5',
].join('\n');

describe('RecordSpans', () => {
  it.each([1, 3, 7, 1_000])('cuts whole records whatever the pieces the bytes come in (%i bytes a piece)', async (pieceSize) => {
    const whole = (await parse(tricky)).slice(1).map((record, k): [number, string[]] => [k + 1, record]);
    for (const rows of [1, 2, 3, 100]) expect(await recordsBySpan(tricky, rows, pieceSize)).toEqual(whole);
  });

  it('keeps the header out of every span and numbers rows from the first record after it', () => {
    const { spans, headerEnd } = split('a,b\n1,2\n3,4\n5,6\n', 2, 4);
    expect(headerEnd).toBe(4);
    expect(spans).toEqual([
      { index: 0, start: 4, end: 12, firstRow: 1, rows: 2 },
      { index: 1, start: 12, end: 16, firstRow: 3, rows: 1 },
    ]);
  });

  it('takes a last record without a newline, and a file with only a header as no rows', () => {
    expect(split('a,b\n1,2\n3,4', 10, 5).spans).toEqual([{ index: 0, start: 4, end: 11, firstRow: 1, rows: 2 }]);
    expect(split('a,b\n\n\n', 10, 5).spans).toEqual([]);
  });

  it('skips blank lines before the header as the dataset check does', () => {
    const { spans, headerEnd } = split('\n\r\na,b\n1,2\n', 10, 3);
    expect(headerEnd).toBe(7);
    expect(spans).toEqual([{ index: 0, start: 7, end: 11, firstRow: 1, rows: 1 }]);
  });
});
