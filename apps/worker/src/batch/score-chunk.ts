import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { LoadedModel } from '@trainyard/ml/predict';
import { csvRecords, isDecimal } from '@trainyard/shared/datasets';
import type { BatchChunkJobData } from '@trainyard/shared/jobs';
import { NotFoundError, tenantOf } from '@trainyard/shared/platform';
import { storageKeys, type ObjectStore } from '@trainyard/shared/storage';
import { versionDeletedError, type ModelRegistry } from '@trainyard/shared/models';
import type { ModelCache } from '../predict/model-cache.js';
import { workerName } from '../tasks/identity.js';
import type { ChunkCounts, ChunkLedger } from './chunk-ledger.js';
import { assertInputUnchanged, batchInputKey } from './input.js';
import { BatchLines } from './lines.js';

export interface ChunkDeps {
  store: ObjectStore;
  registry: ModelRegistry;
  models: ModelCache;
  ledger: ChunkLedger;
}

/** Rows per model call: the call's fixed cost vanishes, and a block's lines leave for storage before they pile up. */
const rowsPerCall = 1_024;

type ModelInput = number[] | string;

/**
 * Scores one chunk of a batch: reads its bytes of the input, turns each record into the model's
 * input (its features in order, or its text), runs the model a block of rows at a time and streams
 * the lines to storage, under keys of its own (the refused rows too), then records its counts. Run
 * again (its worker died), it writes the same objects and counts again: no row is counted twice.
 */
export async function scoreChunk(data: BatchChunkJobData, deps: ChunkDeps): Promise<ChunkCounts> {
  const { task_id: taskId, index } = data;
  if (await deps.ledger.isStopped(taskId)) return { completed: 0, failed: 0 };
  const tenant = tenantOf(data);
  const keys = storageKeys(tenant);
  // A version deleted while its batch runs scores no more rows, even from a model held in memory.
  if (await deps.registry.forTenant(tenant).wasDeleted(data.model, data.version)) throw versionDeletedError(data.model, data.version);
  const model = await deps.models.get(data.model, data.version, tenant);
  const lines = new BatchLines(data.output, model.classes);
  const inputOf = recordReader(model, data.columns);
  const inputKey = batchInputKey(tenant, taskId, data.input);
  const source = await deps.store.getStream(inputKey, { start: data.bytes[0], end: data.bytes[1] });
  if (!source) throw new NotFoundError(`the input of batch ${taskId} is not in storage`);

  // The lines stream to storage a block at a time: a chunk never holds its whole output.
  const output = new PassThrough();
  const stored = deps.store.put(keys.batchChunk(taskId, index, 'output'), output);
  stored.catch(() => {});
  const refused: [row: number, line: string][] = [];
  let completed = 0;
  let block: ModelInput[] = [];
  let blockRows: number[] = [];
  const score = async () => {
    let text = '';
    for (const [k, prediction] of predictEach(model, block).entries()) {
      if ('error' in prediction) {
        refused.push([blockRows[k]!, lines.error(blockRows[k]!, prediction.error)]);
      } else {
        text += lines.prediction(blockRows[k]!, prediction);
        completed++;
      }
    }
    block = [];
    blockRows = [];
    if (!output.write(text)) await once(output, 'drain');
  };
  try {
    let row = data.first_row;
    for await (const record of csvRecords(source)) {
      const input = inputOf(record as string[]);
      if (typeof input === 'object' && !Array.isArray(input)) {
        refused.push([row, lines.error(row, input.error)]);
      } else {
        block.push(input);
        blockRows.push(row);
        if (block.length === rowsPerCall) await score();
      }
      row++;
    }
    await score();
    // Checked once the bytes are read: an input written again since it was split read other rows.
    await assertInputUnchanged(deps.store, inputKey, taskId, data.input_stamp);
    output.end();
  } catch (error) {
    // The store sees the stream end early and keeps nothing; the error is this chunk's.
    output.destroy();
    throw error;
  }
  refused.sort((a, b) => a[0] - b[0]);
  await Promise.all([stored, deps.store.put(keys.batchChunk(taskId, index, 'errors'), refused.map(([, line]) => line).join(''))]);
  const counts = { completed, failed: refused.length };
  await deps.ledger.done(taskId, index, { ...counts, worker: workerName });
  return counts;
}

/** The model's input of a record, or why the record has none. */
function recordReader(model: LoadedModel, columns: readonly string[]): (record: string[]) => ModelInput | { error: string } {
  const at = model.featureNames.map((name) => columns.indexOf(name));
  const missing = model.featureNames.filter((_, i) => at[i]! < 0);
  if (missing.length) {
    const error = `the input has no column ${missing.map((name) => `"${name}"`).join(', ')}`;
    return () => ({ error });
  }
  const cell = (record: string[], i: number) => {
    const value = record[at[i]!];
    if (value === undefined) return { error: `column "${model.featureNames[i]}" is missing: the row has ${record.length} fields, the header ${columns.length}` };
    return value;
  };
  if (model.input === 'text') return (record) => cell(record, 0);
  return (record) => {
    const values: number[] = [];
    for (let i = 0; i < at.length; i++) {
      const value = cell(record, i);
      if (typeof value !== 'string') return value;
      if (!isDecimal(value)) return { error: `column "${model.featureNames[i]}": ${value === '' ? 'is empty' : `${JSON.stringify(value)} is not a number`}` };
      values.push(Number(value));
    }
    return values;
  };
}

/** One model call for the block; if it fails, each row alone, so one bad row fails only itself. */
function predictEach(model: LoadedModel, block: ModelInput[]): (ReturnType<LoadedModel['predict']>[number] | { error: string })[] {
  if (!block.length) return [];
  try {
    return model.predict(block as number[][] | string[]);
  } catch {
    return block.map((input) => {
      try {
        return model.predict([input] as number[][] | string[])[0]!;
      } catch (error) {
        return { error: error instanceof Error ? error.message : String(error) };
      }
    });
  }
}
