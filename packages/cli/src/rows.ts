import { parse } from 'csv-parse/sync';

/** One input row as predict takes it: values in feature order, values keyed by feature name, or a text. */
export type InputRow = number[] | Record<string, number> | string;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** `5.1,3.5,1.4,0.2` → [5.1, 3.5, 1.4, 0.2]; a text model's input stays a text. */
export function rowFromArgument(argument: string, texts: boolean): InputRow {
  if (texts) return argument;
  const values = argument.split(',').map((cell) => cell.trim());
  return values.map((cell, index) => numberIn(cell, `value ${index + 1} of "${argument}"`));
}

/**
 * The rows of a CSV file. A first line that is not all numbers is a header: rows then become records
 * keyed by its names, which the API matches to the model's features whatever their order. A text
 * model reads the column named `text`, or the first one when there is no header.
 */
export function rowsFromCsv(csv: string, texts: boolean): InputRow[] {
  const lines = parse(csv, { skip_empty_lines: true, trim: true, relax_column_count: false }) as string[][];
  const [first, ...rest] = lines;
  if (!first) throw new UsageError('the file has no rows');
  const header = texts ? first.includes('text') : first.some((cell) => Number.isNaN(Number(cell)));
  const rows = header ? rest : lines;
  if (texts) {
    const column = header ? first.indexOf('text') : 0;
    return rows.map((row) => row[column] ?? '');
  }
  return rows.map((row, line) => {
    const at = (index: number) => `line ${line + (header ? 2 : 1)}, column ${index + 1}`;
    const values = row.map((cell, index) => numberIn(cell, at(index)));
    return header ? Object.fromEntries(first.map((name, index) => [name, values[index]!])) : values;
  });
}

function numberIn(cell: string, where: string): number {
  const value = Number(cell);
  if (cell === '' || Number.isNaN(value)) throw new UsageError(`${where} is not a number: "${cell}"`);
  return value;
}
