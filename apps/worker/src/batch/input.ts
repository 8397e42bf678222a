import type { BatchInput } from '@trainyard/shared/jobs';
import { DataError, NotFoundError } from '@trainyard/shared/platform';
import { storageKeys, type ObjectStore } from '@trainyard/shared/storage';

/** The CSV a batch reads: its tenant's stored dataset it names, or its own inline rows, stored by the API. */
export function batchInputKey(tenant: string, taskId: string, input: BatchInput): string {
  const keys = storageKeys(tenant);
  return 'dataset' in input ? keys.dataset(input.dataset) : keys.batchInput(taskId);
}

/**
 * The input's stamp (its size and time of writing) as it is now: a dataset uploaded again while a
 * batch runs would shift the byte ranges its chunks read, so each chunk, once it has read its
 * bytes, compares the stamp the input was split with.
 */
export async function inputStamp(store: ObjectStore, key: string, taskId: string): Promise<string> {
  const info = await store.head(key);
  if (!info) throw new NotFoundError(`the input of batch ${taskId} is not in storage`);
  return `${info.size}@${info.updatedAt.getTime()}`;
}

export async function assertInputUnchanged(store: ObjectStore, key: string, taskId: string, stamp: string): Promise<void> {
  if ((await inputStamp(store, key, taskId)) !== stamp) throw new DataError(`the input of batch ${taskId} changed while the batch ran`);
}
