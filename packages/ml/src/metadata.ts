import { z } from 'zod';
import { algorithms, type Algorithm } from '@trainyard/shared/jobs';

const standardization = z.object({ mean: z.array(z.number()), std: z.array(z.number().positive()) });
const classes = z.array(z.union([z.string(), z.number()])).min(2);
const common = {
  algorithm: z.enum(algorithms as [Algorithm, ...Algorithm[]]),
  // Artifacts from before text models have no input field.
  input: z.literal('tabular').default('tabular'),
  featureNames: z.array(z.string()).min(1),
  /** Applied to every input row before the model sees it. */
  features: standardization,
};

export const tabularMetadata = z
  .discriminatedUnion('task', [
    z.object({ ...common, task: z.literal('classification'), classes }),
    // The model predicts the standardized target; prediction maps it back to target units.
    z.object({ ...common, task: z.literal('regression'), target: z.object({ mean: z.number(), std: z.number().positive() }) }),
  ])
  .refine((meta) => meta.features.mean.length === meta.featureNames.length && meta.features.std.length === meta.featureNames.length, {
    message: 'feature statistics do not match the feature names',
  });

const textCommon = {
  algorithm: z.literal('text-classifier'),
  input: z.literal('text'),
  task: z.literal('classification'),
  /** The text column it was trained on; its one feature. */
  textName: z.string(),
  classes,
};

/** Text classifiers trained before TF-IDF: a tfjs embedding bag over token ids, vocabulary included. */
export const tokenTextMetadata = z.object({
  ...textCommon,
  tokenizer: z.object({ vocabulary: z.array(z.string()), maxLength: z.int().min(1) }),
});

/** TF-IDF text classifiers: the terms, their inverse document frequencies, how texts become terms. */
export const tfidfTextMetadata = z
  .object({
    ...textCommon,
    tfidf: z.object({
      terms: z.array(z.string()),
      idf: z.array(z.number().positive()),
      ngrams: z.int().min(1),
      maxLength: z.int().min(1),
    }),
    /** Width of the hashed TF-IDF part of an embedding. */
    embeddingDim: z.int().min(1),
  })
  .refine((meta) => meta.tfidf.terms.length === meta.tfidf.idf.length, { message: 'every term needs its idf' });

export type TabularModelMetadata = z.output<typeof tabularMetadata>;
export type TokenTextMetadata = z.output<typeof tokenTextMetadata>;
export type TfidfTextMetadata = z.output<typeof tfidfTextMetadata>;
/** Everything prediction needs besides the weights, kept inside model.json so the files stand alone. */
export type ModelMetadata = TabularModelMetadata | TokenTextMetadata | TfidfTextMetadata;
