import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startOtlpCollector, type CollectedSpan } from '@trainyard/test-support/otlp-collector';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { tempStorage, trainIris } from '@trainyard/test-support/stack';

const prefix = testPrefix('traces');
const storage = tempStorage('traces');
let collector: Awaited<ReturnType<typeof startOtlpCollector>>;
let api: RunningProcess & { url: string };
let worker: RunningProcess;

beforeAll(async () => {
  collector = await startOtlpCollector();
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url, OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' };
  [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  collector?.close();
  await deletePrefix(prefix);
  storage.remove();
});

/** Waits until the trace holds a span named `name`, and returns it. */
async function spanNamed(traceId: string, name: string, timeoutMs = 30_000): Promise<CollectedSpan> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = collector.spans.find((span) => span.traceId === traceId && span.name === name);
    if (found) return found;
    if (Date.now() > deadline) {
      const seen = collector.spans.filter((span) => span.traceId === traceId).map((span) => `${span.service}: ${span.name}`);
      throw new Error(`no span "${name}" in trace ${traceId} within ${timeoutMs} ms; seen: ${seen.join(', ')}`);
    }
    await sleep(50);
  }
}

describe('traces', () => {
  it('follow a training from the POST through the queue and the worker into its training thread, in one trace', async () => {
    // The caller's own trace context: the task's spans join it.
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const submitted = await request(`${api.url}/v1/train`, { body: trainIris('traced', { epochs: 30 }), headers: { traceparent: `00-${traceId}-${callerSpan}-01` } });
    expect(submitted.status).toBe(202);
    const taskId = submitted.body.task_id as string;
    expect((await waitForTask(api.url, taskId)).status).toBe('SUCCESS');

    const post = await spanNamed(traceId, 'POST /v1/train');
    expect(post).toMatchObject({ service: 'trainyard-api', parentSpanId: callerSpan, attributes: { 'http.response.status_code': 202, 'trainyard.task_id': taskId } });
    const datasetCheck = await spanNamed(traceId, 'storage.head');
    expect(datasetCheck).toMatchObject({ service: 'trainyard-api', parentSpanId: post.spanId, attributes: { 'storage.key': 'datasets/iris.csv' } });
    const add = await spanNamed(traceId, 'add train.model.train');
    expect(add).toMatchObject({ service: 'trainyard-api', parentSpanId: post.spanId });

    const processed = await spanNamed(traceId, 'process train');
    expect(processed).toMatchObject({ service: 'trainyard-worker', parentSpanId: add.spanId });
    const attempt = await spanNamed(traceId, 'attempt train');
    expect(attempt).toMatchObject({ service: 'trainyard-worker', parentSpanId: processed.spanId, attributes: { 'trainyard.task_id': taskId, 'trainyard.attempt': 1 } });

    const thread = await spanNamed(traceId, 'train.thread');
    expect(thread).toMatchObject({ service: 'trainyard-worker', parentSpanId: attempt.spanId, attributes: { 'trainyard.algorithm': 'logistic-regression' } });
    expect(await spanNamed(traceId, 'train.fit')).toMatchObject({ parentSpanId: thread.spanId, attributes: { 'trainyard.epochs': 30 } });
    const read = collector.spans.find((span) => span.traceId === traceId && span.name === 'storage.get' && span.parentSpanId === thread.spanId);
    expect(read?.attributes['storage.key']).toBe('datasets/iris.csv');

    // The artifact's upload and the registry entry, from the worker's main thread, within the attempt.
    await spanNamed(traceId, 'storage.put');
    const uploads = collector.spans.filter((span) => span.traceId === traceId && span.name === 'storage.put');
    expect(uploads.map((span) => span.attributes['storage.key']).sort()).toEqual(['models/traced/1/metadata.json', 'models/traced/1/model.json', 'models/traced/1/weights.bin']);
    expect(uploads.every((span) => span.parentSpanId === attempt.spanId)).toBe(true);
  });

  it('start a new trace for a request without a traceparent, and carry it to the predict worker', async () => {
    const submitted = await request(`${api.url}/v1/predict`, { body: { model: 'traced', inputs: [[5.1, 3.5, 1.4, 0.2]] }, headers: { prefer: 'wait=30' } });
    expect(submitted.status).toBe(200);
    const taskId = submitted.body.task_id as string;
    const deadline = Date.now() + 30_000;
    while (!collector.spans.some((span) => span.name === 'attempt predict' && span.attributes['trainyard.task_id'] === taskId) && Date.now() < deadline) await sleep(50);
    const attempt = collector.spans.find((span) => span.name === 'attempt predict' && span.attributes['trainyard.task_id'] === taskId)!;
    const post = collector.spans.find((span) => span.name === 'POST /v1/predict' && span.attributes['trainyard.task_id'] === taskId)!;
    expect(post.parentSpanId).toBeFalsy();
    expect(attempt.traceId).toBe(post.traceId);
  });
});
