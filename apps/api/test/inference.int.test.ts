import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { submit, tempStorage, trainIris } from '@trainyard/test-support/stack';

const prefix = testPrefix('infer');
const storage = tempStorage('infer');
let api: RunningProcess & { url: string };
/**
 * A replica that never waits for a prediction, on queues no worker serves until the test starts one:
 * a queued inference then answers 503 whatever the machine's speed. It finds the models in the
 * shared storage.
 */
const idlePrefix = testPrefix('infer-idle');
let impatientApi: RunningProcess & { url: string };
let worker: RunningProcess;
let lateWorker: RunningProcess | undefined;

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, impatientApi, worker] = await Promise.all([startApi(env), startApi({ ...env, QUEUE_PREFIX: idlePrefix, INFER_WAIT_S: '0' }), startWorker(env)]);
  const trained = [
    await submit(api.url, '/v1/train', trainIris('iris', { epochs: 150 })),
    await submit(api.url, '/v1/train', {
      model: 'tickets',
      algorithm: 'text-classifier',
      dataset: { inline: { texts: ['card charged twice', 'refund my card', 'app crashes on start', 'app freezes on login'], labels: ['billing', 'billing', 'bug', 'bug'] } },
      params: { epochs: 5, min_count: 1, seed: 1 },
    }),
  ];
  for (const id of trained) expect((await waitForTask(api.url, id, ['SUCCESS', 'FAILURE'], 60_000)).status).toBe('SUCCESS');
}, 120_000);

afterAll(async () => {
  await Promise.all([api?.stop(), impatientApi?.stop(), worker?.stop(), lateWorker?.stop()]);
  await Promise.all([deletePrefix(prefix), deletePrefix(idlePrefix)]);
  storage.remove();
});

const infer = (path: string, body: unknown, base = api.url) => request(`${base}/v2/models/${path}/infer`, { body });

/** KServe's scikit-learn iris example for the v2 protocol (one FP32 tensor of shape [2, 4]). */
const kserveIris = { inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32', data: [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]] }] };

describe('server endpoints', () => {
  it('describes the server, and answers liveness and readiness', async () => {
    expect((await request(`${api.url}/v2`)).body).toEqual({ name: 'trainyard', version: expect.stringMatching(/^\d+\.\d+\.\d+/), extensions: [] });
    expect(await request(`${api.url}/v2/health/live`)).toMatchObject({ status: 200, body: { live: true } });
    expect(await request(`${api.url}/v2/health/ready`)).toMatchObject({ status: 200, body: { ready: true } });
  });
});

describe('model endpoints', () => {
  it('describes a model’s inputs from its features and its outputs from its classes', async () => {
    const metadata = await request(`${api.url}/v2/models/iris`);
    expect(metadata.status).toBe(200);
    expect(metadata.body).toEqual({
      name: 'iris',
      versions: ['1'],
      platform: 'tensorflowjs_layers',
      inputs: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'].map((name) => ({ name, datatype: 'FP32', shape: [-1] })),
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
      ],
    });
    expect((await request(`${api.url}/v2/models/iris/versions/1`)).body).toEqual(metadata.body);
    expect((await request(`${api.url}/v2/models/tickets`)).body.inputs).toEqual([{ name: 'text', datatype: 'BYTES', shape: [-1] }]);
  });

  it('says a model version is ready, and answers 404 with {error} for one that does not exist', async () => {
    expect((await request(`${api.url}/v2/models/iris/versions/1/ready`)).body).toEqual({ name: 'iris', ready: true });
    expect((await request(`${api.url}/v2/models/iris/ready`)).body).toEqual({ name: 'iris', ready: true });
    for (const path of ['iris/versions/7/ready', 'nope/ready', 'nope']) {
      const missing = await request(`${api.url}/v2/models/${path}`);
      expect(missing.status, path).toBe(404);
      expect(missing.body, path).toEqual({ error: expect.any(String) });
    }
  });
});

describe('inference', () => {
  it('answers KServe’s iris example with labels and probabilities, equal to POST /v1/predict', async () => {
    const inferred = await infer('iris/versions/1', { id: 'kserve-iris', ...kserveIris });
    expect(inferred.status, JSON.stringify(inferred.body)).toBe(200);
    expect(inferred.body).toMatchObject({ model_name: 'iris', model_version: '1', id: 'kserve-iris' });
    const [label, probabilities] = inferred.body.outputs;
    expect(label).toMatchObject({ name: 'label', datatype: 'BYTES', shape: [2] });
    expect(probabilities).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [2, 3], parameters: { classes: 'setosa,versicolor,virginica' } });

    const v1 = await request(`${api.url}/v1/predict`, { body: { model: 'iris', inputs: kserveIris.inputs[0]!.data }, headers: { prefer: 'wait=30' } });
    const predictions = v1.body.result.predictions as { label: string; probabilities: Record<string, number> }[];
    expect(label.data).toEqual(predictions.map((p) => p.label));
    expect(probabilities.data).toEqual(predictions.flatMap((p) => ['setosa', 'versicolor', 'virginica'].map((c) => p.probabilities[c])));
  });

  it('takes one tensor per feature, as the metadata describes, and the outputs asked for', async () => {
    const rows = [[5.1, 3.5, 1.4, 0.2], [7.7, 3.0, 6.1, 2.3]];
    const names = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
    const inputs = names.map((name, column) => ({ name, shape: [2], datatype: 'FP32', data: rows.map((row) => row[column]) }));
    const inferred = await infer('iris', { inputs, outputs: [{ name: 'label' }] });
    expect(inferred.status, JSON.stringify(inferred.body)).toBe(200);
    expect(inferred.body.outputs).toEqual([{ name: 'label', datatype: 'BYTES', shape: [2], data: ['setosa', 'virginica'] }]);
    expect(inferred.body.id).toMatch(/^predict-[0-9a-f]{32}$/);
  });

  it('classifies texts sent as BYTES', async () => {
    const inferred = await infer('tickets', { inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['card charged twice', 'app crashes on start'] }] });
    expect(inferred.status, JSON.stringify(inferred.body)).toBe(200);
    expect(inferred.body.outputs[0]).toMatchObject({ name: 'label', datatype: 'BYTES', shape: [2] });
    expect(inferred.body.outputs[0].data.every((label: string) => ['billing', 'bug'].includes(label))).toBe(true);
  });

  it('answers the protocol’s own example request with 400 and {error}', async () => {
    const specExample = {
      id: '42',
      inputs: [
        { name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] },
        { name: 'input1', shape: [3], datatype: 'BOOL', data: [true] },
      ],
      outputs: [{ name: 'output0' }],
    };
    const refused = await infer('iris', specExample);
    expect(refused).toMatchObject({ status: 400, body: { error: 'input input0: expected shape [N] or [N, 1], got [2, 2]' } });
  });

  it('answers bad requests with 400 and {error}: the one input check, bad JSON, a missing model', async () => {
    const wide = { inputs: [{ name: 'input-0', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] };
    expect(await infer('iris', wide)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/has 3 values, the model takes 4/) } });
    const broken = await request(`${api.url}/v2/models/iris/infer`, { body: '{"inputs": [' });
    expect(broken).toMatchObject({ status: 400, body: { error: expect.any(String) } });
    expect(await infer('nope', kserveIris)).toMatchObject({ status: 404, body: { error: expect.stringContaining('no model "nope"') } });
  });

  it('answers 503 with Retry-After and the task id when the prediction takes longer than INFER_WAIT_S', async () => {
    const fresh = { inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP32', data: [5.55, 2.55, 3.55, 1.05] }] };
    const late = await infer('iris', fresh, impatientApi.url);
    expect(late.status).toBe(503);
    expect(late.body).toEqual({ error: expect.stringContaining('has not finished within 0 s') });
    expect(late.headers.get('retry-after')).toBe('1');
    const taskId = late.headers.get('trainyard-task-id')!;
    expect(taskId).toMatch(/^predict-[0-9a-f]{32}$/);
    expect(late.headers.get('location')).toBe(`/v1/tasks/${taskId}`);
    lateWorker = await startWorker({ QUEUE_PREFIX: idlePrefix, STORAGE_URL: storage.url });
    expect((await waitForTask(impatientApi.url, taskId, ['SUCCESS', 'FAILURE'], 30_000)).status).toBe('SUCCESS');
    // Once it has finished, the same request is answered from the cache, without waiting.
    expect(await infer('iris', fresh, impatientApi.url)).toMatchObject({ status: 200, body: { model_name: 'iris' } });
  });
});
