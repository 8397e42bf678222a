import { readFileSync } from 'node:fs';
import { builtInDatasets, parseCsv, textTrainingDataFromTable, trainingDataFromTable, type TextTrainingData, type TrainingData } from '@trainyard/shared/datasets';
import { seededRandom } from '@trainyard/shared/platform';
import { splitRows } from '../src/split.js';

/** A built-in sample, read straight from the shared package's files. */
export function sample(name: 'iris' | 'housing'): TrainingData {
  const dataset = builtInDatasets[name]!;
  return trainingDataFromTable(parseCsv(readFileSync(dataset.file)), dataset.target);
}

export function ticketsSample(): TextTrainingData {
  const dataset = builtInDatasets.tickets!;
  return textTrainingDataFromTable(parseCsv(readFileSync(dataset.file)), dataset.text!, dataset.target);
}

/**
 * A fixed 80/20 split (stratified by class for string labels): training sees the first part only,
 * and quality is measured on the second.
 */
export function holdOut<T extends TrainingData | TextTrainingData>(data: T, seed = 2024): { train: T; test: T } {
  const classes = [...new Set(data.labels)];
  const strata = data.labels.every((label) => typeof label === 'number') ? undefined : data.labels.map((label) => classes.indexOf(label));
  const split = splitRows(data.labels.length, 0.2, seededRandom(seed), strata);
  const pick = (rows: number[]): T =>
    'texts' in data
      ? { ...data, texts: rows.map((r) => data.texts[r]!), labels: rows.map((r) => data.labels[r]!) }
      : { ...data, features: rows.map((r) => (data as TrainingData).features[r]!), labels: rows.map((r) => data.labels[r]!) };
  return { train: pick(split.train), test: pick(split.validation) };
}
