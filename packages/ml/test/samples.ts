import { readFileSync } from 'node:fs';
import { builtInDatasets, parseCsv, trainingDataFromTable, type TrainingData } from '@trainyard/shared/datasets';

/** A built-in sample, read straight from the shared package's files. */
export function sample(name: 'iris' | 'housing'): TrainingData {
  const dataset = builtInDatasets[name]!;
  return trainingDataFromTable(parseCsv(readFileSync(dataset.file)), dataset.target);
}
