import { Readable } from 'node:stream';
import type { BatchPredictResult } from '@trainyard/shared/jobs';
import type { TaskResource } from '@trainyard/shared/tasks';
import type { NodeProcess } from '../support/processes.js';
import { repeated, type Repeated } from '../support/stats.js';
import type { TrainyardStack } from '../trainyard/stack.js';

export interface BatchOptions {
  model: string;
  rows: number;
  repetitions: number;
  /** Worker processes serving batch and batch-chunks, beside the stack's own worker. */
  workers: number;
  sampleHz: number;
}

export interface BatchFigures {
  rows: number;
  workers: number;
  /** Rows per second from the POST to the client holding the finished task. */
  rowsPerSecond: Repeated;
  /** The highest RSS of each batch worker seen while it scored. */
  peakRssBytes: number[];
}

/** An iris-shaped dataset of `rows` rows, generated as it streams up. */
function* irisRows(rows: number): Generator<string> {
  yield 'sepal_length,sepal_width,petal_length,petal_width,species\n';
  let piece = '';
  for (let n = 0; n < rows; n++) {
    piece += `${(4.3 + (n % 36) / 10).toFixed(1)},${(2 + (n % 24) / 10).toFixed(1)},${(1 + (n % 59) / 10).toFixed(1)},${(0.1 + (n % 25) / 10).toFixed(1)},setosa\n`;
    if (piece.length > 1 << 16) {
      yield piece;
      piece = '';
    }
  }
  yield piece;
}

/**
 * Batch predictions end to end: a stored iris-shaped dataset scored by `workers` worker processes
 * serving batch and batch-chunks, timed from the POST to the client holding the finished task
 * (GET ?wait), with the workers' RSS sampled all along.
 */
export async function measureBatchThroughput(stack: TrainyardStack, options: BatchOptions): Promise<BatchFigures> {
  const dataset = `bench-rows-${options.rows}`;
  const uploaded = await stack.client.putStream(`/v1/datasets/${dataset}`, 'text/csv', Readable.from(irisRows(options.rows)));
  if (uploaded !== 201) throw new Error(`the dataset upload answered ${uploaded}`);
  const workers: NodeProcess[] = [];
  try {
    for (let i = 0; i < options.workers; i++) workers.push(await stack.addWorker(`batch worker ${i + 1}`, 'batch,batch-chunks'));
    const peaks = workers.map(() => 0);
    const sampler = setInterval(() => workers.forEach((worker, i) => (peaks[i] = Math.max(peaks[i]!, worker.rssBytes()))), 1000 / options.sampleHz);
    const runs: number[] = [];
    try {
      for (let run = 0; run < options.repetitions; run++) {
        const started = performance.now();
        const task = await finished(stack, (await stack.client.post<TaskResource>('/v1/batch-predictions', { model: options.model, dataset })).body.task_id);
        runs.push((options.rows * 1000) / (performance.now() - started));
        const result = task.result as BatchPredictResult;
        if (result.request_counts.completed !== options.rows) throw new Error(`a batch scored ${result.request_counts.completed} of ${options.rows} rows`);
      }
    } finally {
      clearInterval(sampler);
    }
    return { rows: options.rows, workers: options.workers, rowsPerSecond: repeated(runs), peakRssBytes: peaks };
  } finally {
    for (const worker of workers) await stack.stopWorkerProcess(worker);
  }
}

async function finished(stack: TrainyardStack, taskId: string): Promise<TaskResource> {
  for (;;) {
    const { status, body } = await stack.client.get<TaskResource>(`/v1/tasks/${taskId}?wait=60`);
    if (status === 200 && body.status === 'SUCCESS') return body;
    if (status !== 202) throw new Error(`batch ${taskId} answered ${status}: ${JSON.stringify(body)}`);
  }
}
