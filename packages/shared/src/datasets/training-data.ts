import { CsvError, parse, type InfoRecord } from 'csv-parse/sync';
import type { DatasetRef, TextDatasetRef } from '../jobs/train.js';
import { DataError, NotFoundError } from '../platform/errors.js';
import type { ObjectStore } from '../storage/index.js';
import { datasetKeys } from './samples.js';
import { storageKeys } from '../storage/keys.js';
import { csvReadOptions } from './records.js';

export interface CsvTable {
  columns: string[];
  rows: string[][];
  /** The file line each row ends on (1-based), for error messages. */
  lines: number[];
}

/** Parses a CSV with a header row; quoted fields may hold commas, quotes and line breaks. */
export function parseCsv(input: string | Uint8Array): CsvTable {
  // With `info`, csv-parse returns records wrapped with their position; its typings don't say so.
  let records: { record: string[]; info: InfoRecord }[];
  try {
    records = parse(input, { ...csvReadOptions, info: true }) as unknown as typeof records;
  } catch (error) {
    if (error instanceof CsvError) throw new DataError(`invalid CSV: ${error.message}`);
    throw error;
  }
  const [header, ...body] = records;
  if (!header) throw new DataError('the CSV is empty');
  const columns = header.record;
  checkHeader(columns, header.info.lines);
  for (const { record, info } of body) {
    if (record.length !== columns.length) {
      throw new DataError(`line ${info.lines} has ${record.length} fields, the header has ${columns.length}`);
    }
  }
  return { columns, rows: body.map((r) => r.record), lines: body.map((r) => r.info.lines) };
}

/** Header names must be present and unique; errors name the header's line. */
export function checkHeader(columns: string[], line: number): void {
  const blank = columns.findIndex((name) => name === '');
  if (blank >= 0) throw new DataError(`header (line ${line}): column ${blank + 1} has no name`);
  const seen = new Set<string>();
  for (const name of columns) {
    if (seen.has(name)) throw new DataError(`header (line ${line}): column "${name}" appears twice`);
    seen.add(name);
  }
}

/** What training consumes, wherever the data came from. */
export interface TrainingData {
  featureNames: string[];
  features: number[][];
  /** Numbers when every target value is numeric, otherwise strings. */
  labels: (string | number)[];
}

const decimal = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A CSV cell training reads as a number. */
export const isDecimal = (cell: string): boolean => decimal.test(cell);

/**
 * Why a numeric cell cannot be used, or null when it can: written as a number but too large for
 * one (1e400 reads as Infinity), which would publish a model that can never predict.
 */
export function numericCellProblem(cell: string): string | null {
  if (!decimal.test(cell)) return cell === '' ? 'is empty' : `${JSON.stringify(cell)} is not a number`;
  return Number.isFinite(Number(cell)) ? null : `${cell} is out of range (not a finite number)`;
}

/** Every column but the target is a numeric feature. Errors name the file line and the column. */
export function trainingDataFromTable(table: CsvTable, target: string): TrainingData {
  const targetIndex = table.columns.indexOf(target);
  if (targetIndex < 0) {
    throw new DataError(`no target column "${target}"; the columns are: ${table.columns.join(', ')}`);
  }
  if (table.columns.length < 2) throw new DataError('the dataset has no feature columns besides the target');
  if (table.rows.length < 2) throw new DataError(`the dataset has ${table.rows.length} data rows; training needs at least 2`);

  const featureIndexes = table.columns.map((_, i) => i).filter((i) => i !== targetIndex);
  const features = table.rows.map((row, r) =>
    featureIndexes.map((c) => {
      const cell = row[c] ?? '';
      const problem = numericCellProblem(cell);
      if (problem) throw new DataError(`line ${table.lines[r]} (data row ${r + 1}), column "${table.columns[c]}": ${problem}`);
      return Number(cell);
    }),
  );
  const targets = table.rows.map((row) => row[targetIndex] ?? '');
  const empty = targets.indexOf('');
  if (empty >= 0) {
    throw new DataError(`line ${table.lines[empty]} (data row ${empty + 1}), column "${target}": is empty`);
  }
  return {
    featureNames: featureIndexes.map((i) => table.columns[i]!),
    features,
    labels: targets.every((value) => decimal.test(value)) ? finiteTargets(table, targets, target) : targets,
  };
}

/** A numeric target column as numbers; a value too large for a number is an error naming its line. */
function finiteTargets(table: CsvTable, targets: string[], target: string): number[] {
  return targets.map((value, r) => {
    const problem = numericCellProblem(value);
    if (problem) throw new DataError(`line ${table.lines[r]} (data row ${r + 1}), column "${target}": ${problem}`);
    return Number(value);
  });
}

/** Data sent with the request; feature names default to x0, x1, … */
export function trainingDataFromInline(
  inline: { features: number[][]; labels: (string | number)[] },
  featureNames?: string[],
): TrainingData {
  const width = inline.features[0]?.length ?? 0;
  const names = featureNames ?? Array.from({ length: width }, (_, i) => `x${i}`);
  if (names.length !== width) throw new DataError(`${names.length} feature names for rows of ${width} values`);
  if (inline.labels.length !== inline.features.length) {
    throw new DataError(`${inline.labels.length} labels for ${inline.features.length} feature rows`);
  }
  const ragged = inline.features.findIndex((row) => row.length !== width);
  if (ragged >= 0) throw new DataError(`feature row ${ragged} has ${inline.features[ragged]!.length} values, row 0 has ${width}`);
  // Mixed labels (1, "a") are all classes; keep one type so equal-looking labels stay one class.
  const numeric = inline.labels.every((label) => typeof label === 'number');
  return { featureNames: names, features: inline.features, labels: numeric ? inline.labels : inline.labels.map(String) };
}

/** What a text model trains on. */
export interface TextTrainingData {
  /** The text column's name; "text" for inline data. */
  textName: string;
  texts: string[];
  /** Numbers when every target value is numeric, otherwise strings. */
  labels: (string | number)[];
}

/** The text column and the target; other columns are ignored. Errors name the file line. */
export function textTrainingDataFromTable(table: CsvTable, text: string, target: string): TextTrainingData {
  const indexOf = (column: string, role: string) => {
    const index = table.columns.indexOf(column);
    if (index < 0) throw new DataError(`no ${role} column "${column}"; the columns are: ${table.columns.join(', ')}`);
    return index;
  };
  const [textIndex, targetIndex] = [indexOf(text, 'text'), indexOf(target, 'target')];
  if (textIndex === targetIndex) throw new DataError(`"${text}" cannot be both the text and the target`);
  if (table.rows.length < 2) throw new DataError(`the dataset has ${table.rows.length} data rows; training needs at least 2`);
  const labels = table.rows.map((row) => row[targetIndex] ?? '');
  const empty = labels.indexOf('');
  if (empty >= 0) throw new DataError(`line ${table.lines[empty]} (data row ${empty + 1}), column "${target}": is empty`);
  return {
    textName: text,
    texts: table.rows.map((row) => row[textIndex] ?? ''),
    labels: labels.every((value) => decimal.test(value)) ? labels.map(Number) : labels,
  };
}

export function textTrainingDataFromInline(inline: { texts: string[]; labels: (string | number)[] }): TextTrainingData {
  if (inline.labels.length !== inline.texts.length) throw new DataError(`${inline.labels.length} labels for ${inline.texts.length} texts`);
  const numeric = inline.labels.every((label) => typeof label === 'number');
  return { textName: 'text', texts: inline.texts, labels: numeric ? inline.labels : inline.labels.map(String) };
}

/** Reads one of the tenant's stored CSVs (NotFoundError when there is none) or takes the inline texts. */
export async function loadTextTrainingData(store: ObjectStore, tenant: string, ref: TextDatasetRef): Promise<TextTrainingData> {
  if ('inline' in ref) return textTrainingDataFromInline(ref.inline);
  const csv = await store.get(datasetKeys(tenant, ref.name).csv);
  if (!csv) throw new NotFoundError(`dataset "${ref.name}" not found`);
  return textTrainingDataFromTable(parseCsv(csv), ref.text, ref.target);
}

/** Reads one of the tenant's stored CSVs (NotFoundError when there is none) or converts inline data. */
export async function loadTrainingData(store: ObjectStore, tenant: string, ref: DatasetRef): Promise<TrainingData> {
  if ('inline' in ref) return trainingDataFromInline(ref.inline);
  const csv = await store.get(datasetKeys(tenant, ref.name).csv);
  if (!csv) throw new NotFoundError(`dataset "${ref.name}" not found`);
  return trainingDataFromTable(parseCsv(csv), ref.target);
}
