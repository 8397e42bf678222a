import type { BatchInput } from '@trainyard/shared/jobs';
import { storageKeys } from '@trainyard/shared/storage';

/** The CSV a batch reads: the stored dataset it names, or its own inline rows, stored by the API. */
export function batchInputKey(taskId: string, input: BatchInput): string {
  return 'dataset' in input ? storageKeys.dataset(input.dataset) : storageKeys.batchInput(taskId);
}
