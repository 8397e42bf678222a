import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { DataError } from '../platform/errors.js';

/** Longest single row object accepted, in characters. */
const maxRowChars = 1 << 20;

type Cell = string | number | boolean | null;

/**
 * Turns a JSON array of flat row objects ([{"a":1,"b":"x"}, …]) into CSV as it streams: the array
 * is split into its elements by tracking nesting and strings, and only one element is ever held.
 * The first row's keys become the header; every later row must have the same keys. Values are
 * numbers, strings, booleans or null (an empty cell). Errors name the row and the JSON line.
 */
export class JsonRowsToCsv extends Transform {
  private readonly decoder = new StringDecoder('utf8');
  private state: 'before' | 'between' | 'inside' | 'after' = 'before';
  /** Between elements: whether a comma (true) or a row (false) comes next. */
  private needComma = false;
  private element = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private line = 1;
  private elementLine = 1;
  private columns: string[] | undefined;
  private rows = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.run(this.decoder.write(chunk), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.run(this.decoder.end(), (error) => {
      if (error) return callback(error);
      if (this.state === 'before') return callback(new DataError('the file is empty'));
      if (this.state !== 'after') return callback(new DataError(`line ${this.line}: the JSON ends before the array's closing ]`));
      callback();
    });
  }

  private run(text: string, callback: TransformCallback): void {
    try {
      const csv = this.feed(text);
      callback(null, csv || undefined);
    } catch (error) {
      callback(error as Error);
    }
  }

  private feed(text: string): string {
    let csv = '';
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!;
      if (char === '\n') this.line++;
      if (this.state === 'inside') {
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (char === '\\') this.escaped = true;
          else if (char === '"') this.inString = false;
          continue;
        }
        if (char === '"') this.inString = true;
        else if (char === '{' || char === '[') this.depth++;
        else if (char === '}' || char === ']') this.depth--;
        if (this.depth > 0) continue;
        this.element += text.slice(start, i + 1);
        csv += this.row(this.element);
        this.element = '';
        this.state = 'between';
        this.needComma = true;
        continue;
      }
      if (/\s/.test(char)) continue;
      if (this.state === 'before' && char === '[') this.state = 'between';
      else if (this.state === 'between' && char === ']' && (this.needComma || this.rows === 0)) this.state = 'after';
      else if (this.state === 'between' && char === ',' && this.needComma) this.needComma = false;
      else if (this.state === 'between' && char === '{' && !this.needComma) {
        this.state = 'inside';
        this.depth = 1;
        this.elementLine = this.line;
        start = i;
      } else {
        const expected = this.state === 'before' ? 'a JSON array of row objects' : this.state === 'after' ? 'nothing after the closing ]' : this.needComma ? '"," or "]"' : 'a row object';
        throw new DataError(`line ${this.line}: expected ${expected}, found ${JSON.stringify(char)}`);
      }
    }
    if (this.state === 'inside') {
      this.element += text.slice(start);
      if (this.element.length > maxRowChars) throw new DataError(`row ${this.rows + 1} (line ${this.elementLine}) is longer than ${maxRowChars} characters`);
    }
    return csv;
  }

  /** One element as a CSV line, preceded by the header line for the first. */
  private row(json: string): string {
    const where = `row ${this.rows + 1} (line ${this.elementLine})`;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(json) as Record<string, unknown>;
    } catch (error) {
      throw new DataError(`${where}: invalid JSON: ${(error as Error).message}`);
    }
    const keys = Object.keys(row);
    let header = '';
    if (!this.columns) {
      this.columns = keys;
      header = csvLine(keys);
    } else if (keys.length !== this.columns.length || this.columns.some((column) => !Object.hasOwn(row, column))) {
      throw new DataError(`${where}: has keys ${keys.join(', ')}; the first row has ${this.columns.join(', ')}`);
    }
    const cells = this.columns.map((column) => {
      const value = row[column];
      if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
        throw new DataError(`${where}, "${column}": only numbers, strings, booleans and null are allowed`);
      }
      return value as Cell;
    });
    this.rows++;
    return header + csvLine(cells);
  }
}

function csvLine(cells: Cell[]): string {
  return `${cells.map(csvCell).join(',')}\n`;
}

/** Strings are always quoted, so commas, quotes, line breaks and edge spaces survive. */
function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'string') return `"${value.replaceAll('"', '""')}"`;
  return String(value);
}
