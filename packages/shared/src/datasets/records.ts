import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';

/**
 * How every stored dataset is read: a BOM dropped, cells trimmed, blank lines skipped, and a
 * record of another width kept for the reader to refuse with its row number.
 */
export const csvReadOptions = { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true } as const;

/**
 * The records of CSV bytes as they stream (a header is a record like any other), read as stored
 * datasets are. A failing source fails the iteration (pipe alone would leave it hanging).
 */
export function csvRecords(source: Readable): AsyncIterable<string[]> {
  const parser = parse(csvReadOptions);
  source.once('error', (error) => parser.destroy(error));
  return source.pipe(parser);
}

/** A CSV field, quoted when it holds a separator, a quote or a line break. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
