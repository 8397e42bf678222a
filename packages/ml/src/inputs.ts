import { modelInputs } from '@trainyard/shared/models';

/** Feature rows for tabular models, texts for text models. */
export type ModelInputs = readonly (readonly number[])[] | readonly string[];

/** The inputs as feature rows of the model's width, by the platform's one input check (an error names inputs.N). */
export function featureRows(inputs: ModelInputs, featureNames: string[]): number[][] {
  return modelInputs({ input: 'tabular', feature_names: featureNames }, inputs) as number[][];
}

/** The inputs as texts, by the platform's one input check. */
export function textInputs(inputs: ModelInputs): string[] {
  return modelInputs({ input: 'text', feature_names: [] }, inputs) as string[];
}
