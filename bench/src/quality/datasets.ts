import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { splitRows } from '@trainyard/ml/split';
import { builtInDatasets, parseCsv } from '@trainyard/shared/datasets';
import { seededRandom } from '@trainyard/shared/platform';

const run = promisify(execFile);
/** Debian's python3-sklearn installs for this interpreter, not for a pyenv one on PATH. */
export const debianPython = '/usr/bin/python3';
export const referenceScript = fileURLToPath(new URL('../../quality/sklearn_reference.py', import.meta.url));
/** One fixed split for every run, so figures of two runs compare. */
const splitSeed = 2024;

export type Algorithm = 'linear-regression' | 'logistic-regression' | 'mlp' | 'text-classifier';
export type Reference = 'logistic' | 'linear' | 'mlp-classifier' | 'mlp-regressor' | 'tfidf-logistic';

export interface QualitySet {
  name: string;
  origin: 'scikit-learn' | 'Trainyard';
  task: 'classification' | 'regression';
  target: string;
  /** Text data sets: the text column. */
  text?: string;
  /** Train and held-out test rows as CSV files (header included), for the upload and for scikit-learn. */
  trainCsv: string;
  testCsv: string;
  /** What POST /v1/predict takes for the test rows, and their true targets. */
  testInputs: (number[] | string)[];
  testTargets: string[];
  trainRows: number;
}

/** True when /usr/bin/python3 can import scikit-learn. */
export async function sklearnAvailable(): Promise<boolean> {
  try {
    await run(debianPython, ['-c', 'import sklearn']);
    return true;
  } catch {
    return false;
  }
}

/**
 * The data sets of the run, each split once 80/20 (stratified by class for classifiers) into CSV
 * files under `dir`. With scikit-learn: the four it bundles, exported from the package (no
 * download; never committed), and our housing and tickets samples; without: our own samples.
 */
export async function prepareDatasets(dir: string, withSklearn: boolean): Promise<QualitySet[]> {
  const sources: { name: string; origin: QualitySet['origin']; file: string; target: string; text?: string; task: QualitySet['task'] }[] = [];
  if (withSklearn) {
    await run(debianPython, [referenceScript, 'export', dir]);
    sources.push(
      { name: 'iris', origin: 'scikit-learn', file: join(dir, 'iris.csv'), target: 'target', task: 'classification' },
      { name: 'breast_cancer', origin: 'scikit-learn', file: join(dir, 'breast_cancer.csv'), target: 'target', task: 'classification' },
      { name: 'digits', origin: 'scikit-learn', file: join(dir, 'digits.csv'), target: 'target', task: 'classification' },
      { name: 'diabetes', origin: 'scikit-learn', file: join(dir, 'diabetes.csv'), target: 'target', task: 'regression' },
    );
  } else {
    sources.push({ name: 'iris', origin: 'Trainyard', file: builtInDatasets.iris!.file, target: 'species', task: 'classification' });
  }
  const { housing, tickets } = builtInDatasets;
  sources.push(
    { name: 'housing', origin: 'Trainyard', file: housing!.file, target: housing!.target, task: 'regression' },
    { name: 'tickets', origin: 'Trainyard', file: tickets!.file, target: tickets!.target, text: tickets!.text!, task: 'classification' },
  );
  return Promise.all(sources.map(async (source) => {
    const table = parseCsv(await readFile(source.file));
    const targetColumn = table.columns.indexOf(source.target);
    const targets = table.rows.map((row) => row[targetColumn]!);
    const classes = [...new Set(targets)];
    const strata = source.task === 'classification' ? targets.map((target) => classes.indexOf(target)) : undefined;
    const split = splitRows(table.rows.length, 0.2, seededRandom(splitSeed), strata);
    const write = async (part: string, rows: number[]) => {
      const path = join(dir, `${source.name}.${part}.csv`);
      await writeFile(path, [table.columns, ...rows.map((r) => table.rows[r]!)].map(csvLine).join('\n') + '\n');
      return path;
    };
    const textColumn = source.text === undefined ? -1 : table.columns.indexOf(source.text);
    const features = table.columns.map((_, c) => c).filter((c) => c !== targetColumn);
    return {
      name: source.name,
      origin: source.origin,
      task: source.task,
      target: source.target,
      ...(source.text && { text: source.text }),
      trainCsv: await write('train', split.train),
      testCsv: await write('test', split.validation),
      testInputs: split.validation.map((r) => (textColumn >= 0 ? table.rows[r]![textColumn]! : features.map((c) => Number(table.rows[r]![c])))),
      testTargets: split.validation.map((r) => targets[r]!),
      trainRows: split.train.length,
    };
  }));
}

function csvLine(cells: string[]): string {
  return cells.map((cell) => (/[",\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(',');
}

/** The algorithms trained on a data set, with the scikit-learn model each is compared with. */
export function algorithmsFor(set: QualitySet): { algorithm: Algorithm; reference: Reference; params: Record<string, unknown> }[] {
  if (set.text) return [{ algorithm: 'text-classifier', reference: 'tfidf-logistic', params: {} }];
  if (set.task === 'regression') {
    return [
      { algorithm: 'linear-regression', reference: 'linear', params: {} },
      { algorithm: 'mlp', reference: 'mlp-regressor', params: { task: 'regression' } },
    ];
  }
  return [
    { algorithm: 'logistic-regression', reference: 'logistic', params: {} },
    // scikit-learn ships classes as integers: the explicit task says they are classes.
    { algorithm: 'mlp', reference: 'mlp-classifier', params: { task: 'classification' } },
  ];
}
