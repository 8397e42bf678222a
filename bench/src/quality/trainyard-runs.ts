import { readFile } from 'node:fs/promises';
import type { Prediction, TrainResult } from '@trainyard/shared/jobs';
import type { TaskResource } from '@trainyard/shared/tasks';
import { median } from '../support/stats.js';
import type { TrainyardStack } from '../trainyard/stack.js';
import { awaitSuccess, submitTask } from '../trainyard/tasks.js';
import type { Algorithm, QualitySet } from './datasets.js';

export interface OurResult {
  /** Held-out accuracy or R², from predictions served by POST /v1/predict. */
  score: number;
  /** Worker-side fitting time (result.fit_ms), median of the repetitions. */
  fitMs: number;
  /** The whole training task in the worker (data loading, fit, upload, registry), median. */
  durationMs: number;
  result: TrainResult;
}

const timeoutMs = 120_000;

/** Uploads the training part of a data set with PUT /v1/datasets/{name} (CSV). */
export async function uploadTrainingRows(stack: TrainyardStack, set: QualitySet): Promise<string> {
  const name = `quality-${set.name}`;
  const response = await fetch(`${stack.url}/v1/datasets/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'text/csv' },
    body: await readFile(set.trainCsv),
  });
  if (!response.ok) throw new Error(`PUT /v1/datasets/${name} answered ${response.status}: ${await response.text()}`);
  return name;
}

/**
 * Trains one warm-up version and then `repetitions` more with the same seed (the same model each
 * time): the time is the median of those, with the thread's code compiled as in a worker that has
 * been running. The first is scored on the held-out rows through POST /v1/predict.
 */
export async function trainAndScore(
  stack: TrainyardStack,
  set: QualitySet,
  dataset: string,
  algorithm: Algorithm,
  params: Record<string, unknown>,
  repetitions: number,
): Promise<OurResult> {
  const model = `quality-${set.name}-${algorithm}`;
  const results: TrainResult[] = [];
  for (let i = 0; i <= repetitions; i++) {
    const taskId = await submitTask(stack.client, '/v1/train', {
      model,
      algorithm,
      dataset: { name: dataset, ...(set.text && { text: set.text }), target: set.target },
      params: { seed: 1, ...params },
    });
    results.push((await awaitSuccess(stack.client, taskId, timeoutMs, 10)).result as TrainResult);
  }
  const first = results[0]!;
  const measured = results.slice(1);
  const predictId = await submitTask(stack.client, '/v1/predict', { model, version: first.version, inputs: set.testInputs, cache: false });
  const predicted = (await awaitSuccess(stack.client, predictId, timeoutMs, 10)).result as { predictions: Prediction[] };
  return {
    score: scoreOf(set, predicted.predictions),
    fitMs: median(measured.map((result) => result.fit_ms)),
    durationMs: median(measured.map((result) => result.duration_ms)),
    result: first,
  };
}

function scoreOf(set: QualitySet, predictions: Prediction[]): number {
  if (set.task === 'classification') {
    const correct = predictions.filter((p, i) => 'label' in p && String(p.label) === set.testTargets[i]).length;
    return correct / predictions.length;
  }
  const actual = set.testTargets.map(Number);
  const mean = actual.reduce((sum, y) => sum + y, 0) / actual.length;
  let residual = 0;
  let total = 0;
  actual.forEach((y, i) => {
    const p = predictions[i]!;
    residual += (y - ('value' in p ? p.value : Number.NaN)) ** 2;
    total += (y - mean) ** 2;
  });
  return 1 - residual / total;
}

export interface EndToEnd {
  /** The first training after the worker started. */
  coldMs: number;
  warmMs: number[];
}

/**
 * Submit → SUCCESS of an iris logistic regression (the built-in sample), as a client sees it:
 * POST /v1/train with `Prefer: wait`, which answers once the task finished.
 */
export async function irisEndToEnd(stack: TrainyardStack, warmRuns: number): Promise<EndToEnd> {
  const once = async (i: number) => {
    const started = performance.now();
    const response = await stack.client.post<TaskResource>(
      '/v1/train',
      { model: `e2e-iris-${i}`, algorithm: 'logistic-regression', dataset: { name: 'iris', target: 'species' }, params: { seed: 1 } },
      { prefer: 'wait=30' },
    );
    const elapsed = performance.now() - started;
    if (response.status !== 200 || response.body.status !== 'SUCCESS') throw new Error(`iris training answered ${response.status}: ${JSON.stringify(response.body)}`);
    return elapsed;
  };
  const coldMs = await once(0);
  const warmMs: number[] = [];
  for (let i = 1; i <= warmRuns; i++) warmMs.push(await once(i));
  return { coldMs, warmMs };
}
