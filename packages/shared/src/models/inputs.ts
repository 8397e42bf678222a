import { InvalidRequestError } from '../platform/errors.js';

/** What a model version says about the inputs it takes. */
export interface ModelInputSpec {
  /** Names the model in messages; a model loaded for prediction may not know its name. */
  model?: string;
  /** Texts (text models) or feature rows; absent means tabular. */
  input?: 'text' | 'tabular';
  /** Tabular models: the features in the order rows give them. Text models: the text column. */
  feature_names: string[];
}

/** One input as a request gives it: a row in feature order, a record keyed by feature name, or a text. */
export type RequestInput = readonly number[] | Readonly<Record<string, number>> | string;

export function isTextModel(spec: Pick<ModelInputSpec, 'input'>): boolean {
  return spec.input === 'text';
}

const named = (spec: ModelInputSpec) => (spec.model ? `model "${spec.model}"` : 'the model');

const issueAt = (path: string, index: number, message: string, detail = message) =>
  new InvalidRequestError(`${path}.${index}: ${message}`, [{ path: `${path}.${index}`, message: detail }]);

/**
 * The one check of inputs against a model version, wherever inputs arrive: texts for text models;
 * rows in feature order for tabular ones, taken from arrays of the right width or records with
 * exactly the model's feature names. The first bad input is an error naming `{path}.N`.
 */
export function modelInputs(spec: ModelInputSpec, inputs: readonly RequestInput[], path = 'inputs'): number[][] | string[] {
  if (isTextModel(spec)) {
    return inputs.map((input, index) => {
      if (typeof input !== 'string') throw issueAt(path, index, `${named(spec)} classifies texts; send a string`);
      return input;
    });
  }
  return inputs.map((row, index) => {
    if (typeof row === 'string') {
      throw issueAt(path, index, `${named(spec)} takes feature rows (${spec.feature_names.join(', ')}), not texts`);
    }
    return featureRow(spec, row, path, index);
  });
}

/** Embeddings come from text models only. */
export function assertEmbeds(spec: ModelInputSpec, path: 'output' | 'model'): void {
  if (isTextModel(spec)) return;
  throw new InvalidRequestError(`${named(spec)} is not a text model; only text models return embeddings`, [
    { path, message: 'embeddings come from text models only' },
  ]);
}

function featureRow(spec: ModelInputSpec, row: Exclude<RequestInput, string>, path: string, index: number): number[] {
  const names = spec.feature_names;
  if (isRow(row)) {
    if (row.length !== names.length) {
      throw issueAt(path, index, `has ${row.length} values, the model takes ${names.length}`, `expected ${names.length} values (${names.join(', ')})`);
    }
    return row as number[];
  }
  // Own keys only: a key such as "constructor" is data, never something inherited.
  const missing = names.filter((name) => !Object.hasOwn(row, name));
  const unknown = Object.keys(row).filter((key) => !names.includes(key));
  if (missing.length || unknown.length) {
    const problems = [missing.length ? `missing ${missing.join(', ')}` : '', unknown.length ? `unknown ${unknown.join(', ')}` : '']
      .filter(Boolean)
      .join('; ');
    throw issueAt(path, index, problems, `expected keys ${names.join(', ')}`);
  }
  return names.map((name) => row[name]!);
}

function isRow(row: Exclude<RequestInput, string>): row is readonly number[] {
  return Array.isArray(row);
}
