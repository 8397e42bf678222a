import type { Job } from 'bullmq';
import type { PredictionCache } from '@trainyard/shared/cache-predictions';
import { parseCsv } from '@trainyard/shared/datasets';
import { DataError, NotFoundError } from '@trainyard/shared/errors';
import { predictJobData, type PredictJobData } from '@trainyard/shared/jobs';
import type { ObjectStore } from '@trainyard/shared/storage';
import { storageKeys } from '@trainyard/shared/storage/keys';
import type { ModelCache } from '../predict/model-cache.js';
import { parseJobData } from '../task-lifecycle.js';

export interface EmbedDatasetResult {
  model: string;
  version: number;
  dataset: string;
  /** Distinct texts in the dataset. */
  texts: number;
  /** Texts embedded now; the others were cached already. */
  embedded: number;
}

/** Texts per model call and per cache round trip: bounded memory whatever the dataset's size. */
const chunkSize = 256;

/**
 * Predict tasks that precompute a dataset's embeddings (`embed_dataset`): texts already in the
 * embedding cache are skipped, the rest are embedded a chunk at a time and cached. Other tasks go
 * to `process`.
 */
export function embeddingDatasets<R>(
  process: (job: Job) => Promise<R>,
  deps: { store: ObjectStore; models: ModelCache; embeddings: PredictionCache<number[]> },
) {
  return async (job: Job): Promise<R | EmbedDatasetResult> => {
    // Checked before parsing: every other predict task would otherwise pay for a second parse.
    if (!(job.data as PredictJobData).embed_dataset) return process(job);
    const { model, version, embed_dataset: dataset } = parseJobData(predictJobData, job.data);
    if (!dataset) return process(job);
    const csv = await deps.store.get(storageKeys.dataset(dataset.name));
    if (!csv) throw new NotFoundError(`dataset "${dataset.name}" not found`);
    const table = parseCsv(csv);
    const column = table.columns.indexOf(dataset.text);
    if (column < 0) throw new DataError(`dataset "${dataset.name}" has no column "${dataset.text}", the model's text column`);
    const texts = [...new Set(table.rows.map((row) => row[column] ?? ''))];
    const loaded = await deps.models.get(model, version);
    let embedded = 0;
    for (let start = 0; start < texts.length; start += chunkSize) {
      const chunk = texts.slice(start, start + chunkSize);
      const keys = deps.embeddings.keysFor(model, version, chunk);
      const known = await deps.embeddings.lookupEach(keys);
      const missing = chunk.filter((_, i) => !known[i]);
      if (missing.length) {
        await deps.embeddings.store(deps.embeddings.keysFor(model, version, missing), loaded.embed(missing));
        embedded += missing.length;
      }
      await job.updateProgress({ percent: Math.round((100 * Math.min(texts.length, start + chunkSize)) / texts.length) });
    }
    return { model, version, dataset: dataset.name, texts: texts.length, embedded };
  };
}
