import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { defaultTenant } from '../platform/tenants.js';
import type { ObjectStore } from '../storage/index.js';
import { storageKeys } from '../storage/keys.js';

export interface BuiltInDataset {
  /** The CSV file shipped with this package. */
  file: string;
  /** The column a model learns to predict. */
  target: string;
  /** Text datasets: the column a text model reads. */
  text?: string;
  description: string;
}

// Resolves from src/datasets/ (tests) and dist/datasets/ (built) alike: src/ and dist/ sit next to samples/.
const sample = (file: string) => fileURLToPath(new URL(`../../samples/${file}`, import.meta.url));

/** Datasets every deployment starts with, stored under their name. */
export const builtInDatasets: Record<string, BuiltInDataset> = {
  iris: {
    file: sample('iris.csv'),
    target: 'species',
    description:
      "Fisher's Iris (1936): 150 flowers, 4 measurements in cm; classify species (setosa, versicolor, virginica).",
  },
  housing: {
    file: sample('housing.csv'),
    target: 'price_k',
    description:
      'Synthetic home sales (samples/generate-housing.mjs): area, rooms, age, distance to the centre; ' +
      'predict the price in thousands (price_k), a linear relation plus noise.',
  },
  tickets: {
    file: sample('tickets.csv'),
    text: 'text',
    target: 'label',
    description:
      'Synthetic support tickets (samples/generate-tickets.mjs): 480 short texts; classify the label ' +
      '(billing, technical, shipping, account) with text-classifier.',
  },
};

/** Own keys only: a dataset named "constructor" is a user's, never something inherited. */
export function isBuiltInDataset(name: string): boolean {
  return Object.hasOwn(builtInDatasets, name);
}

/**
 * Where a tenant's dataset is stored: in the tenant's own space, except the built-in samples, which
 * are stored once (where they always were) and read by every tenant.
 */
export function datasetKeys(tenant: string, name: string): { csv: string; meta: string } {
  const keys = storageKeys(isBuiltInDataset(name) ? defaultTenant : tenant);
  return { csv: keys.dataset(name), meta: keys.datasetMeta(name) };
}

/**
 * Stores every built-in dataset that storage does not hold yet. Safe for every process to call at
 * start: putIfAbsent never overwrites, not even a dataset a user uploaded under the same name.
 * Returns the names written now.
 */
export async function seedBuiltInDatasets(store: ObjectStore): Promise<string[]> {
  const written: string[] = [];
  for (const [name, dataset] of Object.entries(builtInDatasets)) {
    if (await store.putIfAbsent(datasetKeys(defaultTenant, name).csv, await readFile(dataset.file))) written.push(name);
  }
  return written;
}
