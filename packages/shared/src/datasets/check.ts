import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { CsvError, parse, type Parser } from 'csv-parse';
import { z } from 'zod';
import { AppError, DataError } from '../platform/errors.js';
import { checkHeader, isDecimal, numericCellProblem } from './training-data.js';
import { csvReadOptions } from './records.js';

export const datasetColumn = z.object({ name: z.string(), type: z.enum(['number', 'string']) });
export type DatasetColumn = z.output<typeof datasetColumn>;
export type ColumnType = DatasetColumn['type'];

/** What a checked CSV holds. */
export interface CsvShape {
  rows: number;
  columns: DatasetColumn[];
  bytes: number;
}

/** Longest single CSV record accepted, in characters: one endless line must not fill the memory. */
const maxRecordChars = 1 << 20;

/**
 * Passes CSV bytes through unchanged while checking them as they flow, so an upload is never held
 * whole: a header with unique names, the header's field count on every row, and numbers in every
 * numeric column. A column's type is set by its first data row (a number there makes it numeric).
 * A problem fails the stream with a DataError naming the line; shape() tells what passed.
 */
export class CsvCheck extends Transform {
  private readonly parser: Parser;
  private readonly parsed: Promise<void>;
  private failure: Error | undefined;
  private header: string[] | undefined;
  private types: ColumnType[] | undefined;
  private rows = 0;
  private bytes = 0;

  /** `where` names the place of a row in errors; JSON uploads count rows instead of CSV lines. */
  constructor(private readonly where: (line: number, row: number) => string = (line) => `line ${line}`) {
    super();
    this.parser = parse({ ...csvReadOptions, max_record_size: maxRecordChars });
    // Records reach this listener synchronously as csv-parse reads them (it is always drained), so
    // its running line count is the record's last line. Per-record `info` objects would cost 3x.
    this.parser.on('data', (record: string[]) => {
      if (this.failure) return;
      try {
        this.check(record, this.parser.info.lines);
      } catch (error) {
        this.failure = error as Error;
      }
    });
    this.parsed = new Promise((resolve) => {
      this.parser.on('end', resolve);
      this.parser.on('error', (error) => {
        this.fail(error);
        resolve();
      });
    });
  }

  shape(): CsvShape {
    const columns = (this.header ?? []).map((name, i) => ({ name, type: this.types?.[i] ?? 'string' }));
    return { rows: this.rows, columns, bytes: this.bytes };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.parser.write(chunk, (error) => {
      if (error) this.fail(error);
      callback(this.failure, this.failure ? undefined : chunk);
    });
  }

  override _flush(callback: TransformCallback): void {
    this.parser.end();
    void this.parsed.then(() => {
      if (!this.failure && !this.header) this.failure = new DataError('the file is empty');
      if (!this.failure && this.rows === 0) this.failure = new DataError('the file has a header but no data rows');
      callback(this.failure);
    });
  }

  private fail(error: Error): void {
    this.failure ??= error instanceof CsvError ? new DataError(`invalid CSV: ${error.message}`) : error;
  }

  private check(record: string[], line: number): void {
    if (!this.header) {
      checkHeader(record, line);
      this.header = record;
      return;
    }
    const header = this.header;
    const where = () => this.where(line, this.rows + 1);
    if (record.length !== header.length) {
      throw new DataError(`${where()} has ${record.length} fields, the header has ${header.length}`);
    }
    const types = (this.types ??= record.map((cell) => (isDecimal(cell) ? 'number' : 'string')));
    for (let i = 0; i < record.length; i++) {
      const cell = record[i]!;
      if (types[i] !== 'number') continue;
      const problem = numericCellProblem(cell);
      if (problem) throw new DataError(`${where()}, column "${header[i]}": ${problem}${isDecimal(cell) ? '' : ' (the column is numeric from its first row)'}`);
    }
    this.rows++;
  }
}

/** Fails the stream once more than maxBytes passed through: a 413, whatever the Content-Length said. */
export class ByteLimit extends Transform {
  private seen = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) return callback(tooLarge(this.maxBytes));
    callback(null, chunk);
  }
}

export function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `the dataset is larger than the limit of ${maxBytes} bytes`);
}

/**
 * Pipes streams in a row and carries any error forward to the last one, whose reader (the store)
 * then fails. Unlike stream.pipeline, the source is never destroyed: an HTTP request stays
 * readable, so the server can still answer with the error.
 */
export function chain(source: Readable, ...steps: Transform[]): Readable {
  let current: Readable = source;
  for (const step of steps) {
    current.on('error', (error) => step.destroy(error));
    if (current === source) {
      source.once('close', () => {
        if (!source.readableEnded) step.destroy(new AppError('invalid_request', 'the upload was interrupted'));
      });
    }
    current = current.pipe(step);
  }
  return current;
}
