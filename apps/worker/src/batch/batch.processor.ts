import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import { csvRecords } from '@trainyard/shared/datasets';
import type { BatchJobData, BatchPredictResult, JobQueues, ParsedJob } from '@trainyard/shared/jobs';
import { versionDeletedError, type ModelRegistry, type ModelVersion } from '@trainyard/shared/models';
import { AppError, DataError, NotFoundError, tenantOf, type Logger } from '@trainyard/shared/platform';
import { storageKeys, type ObjectStore, type StorageKeys } from '@trainyard/shared/storage';
import type { TaskEventLog } from '@trainyard/shared/tasks';
import type { Attempt } from '../tasks/attempt.js';
import { isRetryable } from '../tasks/errors.js';
import { progressReporter } from '../tasks/progress.js';
import type { ChunkLedger } from './chunk-ledger.js';
import { batchInputKey, inputStamp } from './input.js';
import { BatchLines } from './lines.js';
import { RecordSpans, type RecordSpan } from './record-spans.js';

export interface BatchDeps {
  store: ObjectStore;
  registry: ModelRegistry;
  queues: JobQueues;
  ledger: ChunkLedger;
  events: TaskEventLog;
  log: Logger;
  /** Records per chunk. */
  rowsPerChunk: number;
}

/** How often the coordinator looks at its chunks' progress. */
const pollMs = 200;
/** Chunk jobs queued per command while the input is split. */
const queuedTogether = 100;
/** How long a stopped batch waits for its chunks in flight before it removes their files. */
const inFlightMs = 15_000;

/** The id of chunk `index` of a batch: queueing it again while it exists adds nothing. BullMQ ids may not hold ":". */
export const chunkJobId = (taskId: string, index: number) => `${taskId}-chunk-${index}`;

/**
 * The batch.predict task: splits its input into chunks of whole records (one pass over the bytes,
 * no parsing), queues a chunk job for each that any batch worker scores in parallel, follows their
 * progress in the chunk ledger, then streams the chunks' lines, in order, into one output object
 * and one error file. Run again after its worker died, it queues only the chunks not done yet: no
 * chunk is scored twice into the output, none is skipped. Cancelled, timed out or failed for good,
 * it stops its chunks and removes what they wrote.
 */
export function createBatchProcessor(deps: BatchDeps) {
  return async ({ data }: ParsedJob<'batch'>, { signal }: Attempt, job: Job): Promise<BatchPredictResult> => {
    const taskId = job.id!;
    const startedAt = Date.now();
    const tenant = tenantOf(data);
    const keys = storageKeys(tenant);
    const registry = deps.registry.forTenant(tenant);
    const model = await registry.get(data.model, data.version);
    if (!model) {
      if (await registry.wasDeleted(data.model, data.version)) throw versionDeletedError(data.model, data.version);
      throw new DataError(`model "${data.model}" has no version ${data.version} any more`);
    }
    try {
      const { spans, rows } = await queueChunks(deps, taskId, data, model, signal);
      const counts = await untilScored(deps, taskId, job, spans, rows, signal);
      const lines = new BatchLines(data.output, model.classes);
      const [output, errors] = await Promise.all([
        concatenate(deps.store, keys.batchOutput(taskId, data.output), lines.outputHeader(), spans, (i) => keys.batchChunk(taskId, i, 'output')),
        concatenate(deps.store, keys.batchErrors(taskId, data.output), lines.errorHeader(), spans, (i) => keys.batchChunk(taskId, i, 'errors')),
      ]);
      await removeChunkFiles(deps.store, keys, taskId, spans);
      const file = (key: string, part: 'output' | 'errors') => ({ key, format: data.output, url: `/v1/batch-predictions/${taskId}/${part}` });
      return {
        model: data.model,
        version: data.version,
        output: file(output, 'output'),
        errors: file(errors, 'errors'),
        request_counts: { total: rows, ...counts },
        duration_ms: Date.now() - startedAt,
      };
    } catch (error) {
      // Cancelled, timed out, or failed for good: the chunks left are stopped. A batch that will
      // be tried again keeps them, and resumes.
      const final = signal.aborted || !isRetryable(error) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (final) await stopChunks(deps, keys, taskId).catch((failure: unknown) => deps.log.warn({ err: failure, taskId }, 'batch not cleaned up'));
      throw error;
    }
  };
}

/** Splits the input into chunks and queues those not scored yet; the header is checked against the model first. */
async function queueChunks(deps: BatchDeps, taskId: string, data: BatchJobData, model: ModelVersion, signal: AbortSignal): Promise<{ spans: number; rows: number }> {
  const tenant = tenantOf(data);
  const inputKey = batchInputKey(tenant, taskId, data.input);
  const stamp = await inputStamp(deps.store, inputKey, taskId);
  const source = await deps.store.getStream(inputKey);
  if (!source) throw new NotFoundError(`the input of batch ${taskId} is not in storage`);
  const ledger = await deps.ledger.read(taskId);
  // Chunks that gave up in an earlier run are tried again.
  for (const index of ledger.failed.keys()) {
    await deps.queues.get('batch-chunks').remove(chunkJobId(taskId, index));
    await deps.ledger.forgetFailure(taskId, index);
  }
  const splitter = new RecordSpans(deps.rowsPerChunk);
  const head: Buffer[] = [];
  let columns: string[] | undefined;
  let waiting: RecordSpan[] = [];
  /** Queues the chunks not done yet, a hundred at a time, or all that wait when `now`. */
  const queue = async (spans: RecordSpan[], now = false) => {
    waiting.push(...spans.filter((span) => !ledger.done.has(span.index)));
    if (!waiting.length || (waiting.length < queuedTogether && !now)) return;
    const ready = waiting;
    waiting = [];
    await deps.queues.addBulk(
      ready.map((span) => ({
        name: 'batch.score-chunk' as const,
        data: {
          task_id: taskId,
          tenant,
          index: span.index,
          model: data.model,
          version: data.version,
          input: data.input,
          bytes: [span.start, span.end] as [number, number],
          input_stamp: stamp,
          first_row: span.firstRow,
          columns: columns!,
          output: data.output,
        },
        options: { jobId: chunkJobId(taskId, span.index) },
      })),
    );
  };
  let spans = 0;
  for await (const piece of source) {
    signal.throwIfAborted();
    const closed = splitter.push(piece as Buffer);
    if (!columns) {
      head.push(piece as Buffer);
      if (splitter.headerEnd >= 0) columns = await headerOf(Buffer.concat(head).subarray(0, splitter.headerEnd), model);
    }
    spans += closed.length;
    await queue(closed);
  }
  const last = splitter.end();
  spans += last.length;
  if (!columns) throw new DataError('the input has no header row');
  await queue(last, true);
  return { spans, rows: splitter.rows };
}

/** The header's columns, once it is clear the model finds its inputs among them. */
async function headerOf(bytes: Buffer, model: ModelVersion): Promise<string[]> {
  let columns: string[] = [];
  for await (const record of csvRecords(Readable.from([bytes]))) columns = record as string[];
  const missing = model.feature_names.filter((name) => !columns.includes(name));
  if (missing.length) {
    throw new DataError(`the input has no column ${missing.map((name) => `"${name}"`).join(', ')}, which model "${model.model}" reads`);
  }
  return columns;
}

/** Follows the chunks until all are scored, reporting rows done; a chunk that gave up fails the batch. */
async function untilScored(deps: BatchDeps, taskId: string, job: Job, spans: number, rows: number, signal: AbortSignal) {
  const report = progressReporter(job, deps.events, deps.log);
  for (;;) {
    const ledger = await deps.ledger.read(taskId);
    const [failure] = ledger.failed;
    if (failure) throw new AppError(failure[1].code, `chunk ${failure[0]} of the input: ${failure[1].message}`);
    let completed = 0;
    let failed = 0;
    for (const counts of ledger.done.values()) {
      completed += counts.completed;
      failed += counts.failed;
    }
    const done = completed + failed;
    report({ percent: rows ? Math.floor((done * 100) / rows) : 100, rows_done: done, rows_total: rows });
    if (ledger.done.size >= spans) {
      await report.flush();
      return { completed, failed };
    }
    await sleep(pollMs, undefined, { signal });
  }
}

/** Streams the chunks' files, in order, after a header, into one object; answers its key. */
async function concatenate(store: ObjectStore, key: string, header: string, spans: number, chunkKey: (index: number) => string): Promise<string> {
  async function* parts() {
    yield Buffer.from(header);
    for (let index = 0; index < spans; index++) {
      const part = await store.getStream(chunkKey(index));
      if (!part) throw new Error(`chunk ${index} was scored but its file is not in storage`);
      yield* part;
    }
  }
  await store.put(key, Readable.from(parts()));
  return key;
}

async function removeChunkFiles(store: ObjectStore, keys: StorageKeys, taskId: string, spans: number): Promise<void> {
  for (let index = 0; index < spans; index++) {
    await Promise.all([store.delete(keys.batchChunk(taskId, index, 'output')), store.delete(keys.batchChunk(taskId, index, 'errors'))]);
  }
}

/**
 * Stops a batch: chunks not started yet leave their queue, any that starts later finds the batch
 * stopped, and once the chunks in flight have finished (seconds at most) what the batch wrote is
 * removed.
 */
async function stopChunks(deps: BatchDeps, keys: StorageKeys, taskId: string): Promise<void> {
  await deps.ledger.stop(taskId);
  const chunks = deps.queues.get('batch-chunks');
  const ofThisBatch = async (states: ('waiting' | 'prioritized' | 'delayed' | 'active')[]) =>
    (await chunks.getJobs(states)).filter((job) => job.data.task_id === taskId);
  await Promise.all((await ofThisBatch(['waiting', 'prioritized', 'delayed'])).map((job) => chunks.remove(job.id!)));
  for (const until = Date.now() + inFlightMs; (await ofThisBatch(['active'])).length && Date.now() < until; ) await sleep(pollMs);
  for await (const object of deps.store.list(keys.batchPrefix(taskId))) await deps.store.delete(object.key);
}
