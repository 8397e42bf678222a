import type { LoadedModel } from '@trainyard/ml/predict';
import type { PredictionCache } from '@trainyard/shared/cache';
import { datasetKeys, parseCsv } from '@trainyard/shared/datasets';
import type { EmbedDatasetResult } from '@trainyard/shared/jobs';
import { DataError, NotFoundError } from '@trainyard/shared/platform';
import type { ObjectStore } from '@trainyard/shared/storage';


/** Texts per model call and per cache round trip: bounded memory whatever the dataset's size. */
const chunkSize = 256;

/**
 * Precomputes a stored dataset's embeddings into the embedding cache: texts already cached are
 * skipped, the rest are embedded a chunk at a time.
 */
export async function embedDataset(
  target: { model: string; version: number; loaded: LoadedModel; dataset: { tenant: string; name: string; text: string } },
  deps: { store: ObjectStore; embeddings: PredictionCache<number[]> },
  reportPercent: (percent: number) => Promise<void>,
): Promise<EmbedDatasetResult> {
  const { model, version, loaded, dataset } = target;
  const csv = await deps.store.get(datasetKeys(dataset.tenant, dataset.name).csv);
  if (!csv) throw new NotFoundError(`dataset "${dataset.name}" not found`);
  const table = parseCsv(csv);
  const column = table.columns.indexOf(dataset.text);
  if (column < 0) throw new DataError(`dataset "${dataset.name}" has no column "${dataset.text}", the model's text column`);
  const texts = [...new Set(table.rows.map((row) => row[column] ?? ''))];
  let embedded = 0;
  for (let start = 0; start < texts.length; start += chunkSize) {
    const chunk = texts.slice(start, start + chunkSize);
    const known = await deps.embeddings.lookupEach(deps.embeddings.keysFor(model, version, chunk));
    const missing = chunk.filter((_, i) => !known[i]);
    if (missing.length) {
      await deps.embeddings.store(deps.embeddings.keysFor(model, version, missing), loaded.embed(missing));
      embedded += missing.length;
    }
    await reportPercent(Math.round((100 * Math.min(texts.length, start + chunkSize)) / texts.length));
  }
  return { model, version, dataset: dataset.name, texts: texts.length, embedded };
}
