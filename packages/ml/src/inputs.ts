import { DataError } from '@trainyard/shared/errors';

/** Feature rows for tabular models, texts for text models. */
export type ModelInputs = readonly (readonly number[])[] | readonly string[];

/** The inputs as feature rows of the model's width; a text or a row of another width is a DataError naming the features. */
export function featureRows(inputs: ModelInputs, featureNames: readonly string[]): readonly (readonly number[])[] {
  const width = featureNames.length;
  inputs.forEach((row, i) => {
    if (typeof row === 'string') throw new DataError(`input ${i} is a text; the model expects rows of ${width} numbers (${featureNames.join(', ')})`);
    if (row.length !== width) throw new DataError(`input row ${i} has ${row.length} values; the model expects ${width} (${featureNames.join(', ')})`);
  });
  return inputs as readonly (readonly number[])[];
}

/** The inputs as texts; anything else is a DataError. */
export function textInputs(inputs: ModelInputs): string[] {
  return inputs.map((text, i) => {
    if (typeof text !== 'string') throw new DataError(`input ${i} is not a text; the model classifies texts`);
    return text;
  });
}
