import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '@trainyard/test-support/auth';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';

const prefix = testPrefix('registry');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-registry-'));
let api: RunningProcess & { url: string };
let workers: RunningProcess[] = [];

/** Two well separated classes: small, so every training takes a moment. */
const points = ['x,y,side', ...Array.from({ length: 30 }, (_, i) => (i % 2 ? `${i % 7},${(i % 5) + 10},top` : `${i % 7},${-(i % 5) - 10},bottom`))].join('\n');

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}` };
  // Two worker processes, separate memory: version numbers must still never collide.
  const worker = { ...env, TRAIN_CONCURRENCY: '1' };
  [api, ...workers] = await Promise.all([startApi(env), startWorker(worker), startWorker(worker)]);
  const uploaded = await fetch(`${api.url}/v1/datasets/points`, { method: 'PUT', headers: { 'content-type': 'text/csv', ...bearer() }, body: points });
  expect(uploaded.status).toBe(201);
});

afterAll(async () => {
  await Promise.all([api?.stop(), ...workers.map((worker) => worker.stop())]);
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

async function train(model: string): Promise<string> {
  const response = await request(`${api.url}/v1/train`, {
    body: { model, algorithm: 'logistic-regression', dataset: { name: 'points', target: 'side' }, params: { epochs: 5, seed: 1 } },
  });
  expect(response.status).toBe(202);
  return response.body.task_id;
}

async function predictVersion(model: string, version?: number | string): Promise<number> {
  const response = await request(`${api.url}/v1/predict`, { body: { model, inputs: [[3, 12]], ...(version === undefined ? {} : { version }) } });
  // 200 when the answer is already known (the prediction cache), else 202 and a task to poll.
  expect([200, 202]).toContain(response.status);
  const task = response.status === 200 ? response.body : await waitForTask(api.url, response.body.task_id);
  expect(task.status).toBe('SUCCESS');
  return (task.result as { version: number }).version;
}

const model = (name: string) => request(`${api.url}/v1/models/${name}`);
const trainingTasks: Record<number, string> = {};

describe('the model registry', () => {
  it('when one model is trained four times at once on two workers, then the versions are 1 to 4', async () => {
    const taskIds = await Promise.all([1, 2, 3, 4].map(() => train('sides')));
    const tasks = await Promise.all(taskIds.map((id) => waitForTask(api.url, id)));

    expect(tasks.map((task) => task.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
    const versions = tasks.map((task) => (task.result as { version: number }).version);
    expect([...versions].sort()).toEqual([1, 2, 3, 4]);
    // One training at a time per worker: both processes handed out numbers.
    expect(new Set(tasks.map((task) => task.worker)).size).toBe(2);
    tasks.forEach((task, i) => (trainingTasks[versions[i]!] = task.task_id));
  });

  it('lists the model with its latest version, and shows every version with its training task', async () => {
    const list = await request(`${api.url}/v1/models`);
    expect(list.status).toBe(200);
    expect(list.body.models).toEqual([{ name: 'sides', latest_version: 4, aliases: {}, updated_at: expect.any(String) }]);

    const details = await model('sides');
    expect(details.body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3, 4]);
    for (const version of details.body.versions) {
      expect(version).toMatchObject({ algorithm: 'logistic-regression', training_task_id: trainingTasks[version.version], aliases: [] });
      expect(version.metrics.accuracy).toEqual(expect.any(Number));
      expect(version.size_bytes).toBeGreaterThan(0);
      expect(Date.parse(version.created_at)).not.toBeNaN();
    }
    expect(details.body.updated_at).toBe(details.body.versions.map((v: { created_at: string }) => v.created_at).sort().at(-1));

    const second = await request(`${api.url}/v1/models/sides/versions/2`);
    expect(second.body).toMatchObject({ model: 'sides', version: 2, training_task_id: trainingTasks[2] });
  });

  it('when an alias points at a version, then predict by that alias uses it and latest stays the newest', async () => {
    const set = await request(`${api.url}/v1/models/sides/aliases/production`, { method: 'PUT', body: { version: 2 } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ model: 'sides', alias: 'production', version: 2, aliases: { production: 2 } });

    expect(await predictVersion('sides', 'production')).toBe(2);
    expect(await predictVersion('sides', 'latest')).toBe(4);
    expect(await predictVersion('sides', 3)).toBe(3);
    expect((await request(`${api.url}/v1/models/sides/versions/production`)).body.version).toBe(2);
    expect((await model('sides')).body).toMatchObject({ aliases: { production: 2 } });
    expect((await model('sides')).body.versions[1].aliases).toEqual(['production']);
  });

  it('refuses aliases to missing versions, the reserved name latest, and unknown aliases on predict', async () => {
    const alias = (name: string, body: unknown) => request(`${api.url}/v1/models/sides/aliases/${name}`, { method: 'PUT', body });
    expect((await alias('staging', { version: 99 })).status).toBe(404);
    expect((await alias('latest', { version: 1 })).status).toBe(400);
    expect((await alias('42', { version: 1 })).status).toBe(400);
    expect((await alias('staging', { version: 'two' })).status).toBe(400);
    expect((await request(`${api.url}/v1/models/nothing/aliases/staging`, { method: 'PUT', body: { version: 1 } })).status).toBe(404);

    const predict = await request(`${api.url}/v1/predict`, { body: { model: 'sides', version: 'staging', inputs: [[1, 1]] } });
    expect(predict.status).toBe(404);
    expect(predict.body.error.code).toBe('not_found');
  });

  it('when a version is aliased, then deleting it answers 409 and keeps it', async () => {
    const response = await request(`${api.url}/v1/models/sides/versions/2`, { method: 'DELETE' });

    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({ code: 'alias_in_use', message: expect.stringContaining('production') });
    expect(existsSync(join(storageDir, 'models/sides/2/weights.bin'))).toBe(true);
  });

  it('when the newest version is deleted, then its artifact is gone and latest falls back to the one before', async () => {
    const response = await request(`${api.url}/v1/models/sides/versions/4`, { method: 'DELETE' });

    expect(response.status).toBe(204);
    expect(existsSync(join(storageDir, 'models/sides/4/weights.bin'))).toBe(false);
    expect((await request(`${api.url}/v1/models/sides/versions/4`)).status).toBe(404);
    expect((await request(`${api.url}/v1/models/sides/versions/4`, { method: 'DELETE' })).status).toBe(404);
    expect((await model('sides')).body).toMatchObject({ latest_version: 3 });
    expect((await model('sides')).body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3]);
    expect(await predictVersion('sides')).toBe(3);
  });

  it('when Redis loses every registry key, then the registry rebuilds from storage and numbers stay unique', async () => {
    const before = (await model('sides')).body;
    await deletePrefix(`${prefix}:model`);

    expect((await model('sides')).body).toEqual(before);
    expect((await request(`${api.url}/v1/models`)).body.models).toEqual([
      { name: 'sides', latest_version: 3, aliases: { production: 2 }, updated_at: before.updated_at },
    ]);
    expect(await predictVersion('sides', 'production')).toBe(2);

    // Version 4 was deleted; its number is still taken.
    const task = await waitForTask(api.url, await train('sides'));
    expect((task.result as { version: number }).version).toBe(5);
    expect((await model('sides')).body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3, 5]);
  });

  it('when an alias is removed, then its version can be deleted', async () => {
    expect((await request(`${api.url}/v1/models/sides/aliases/production`, { method: 'DELETE' })).status).toBe(204);
    expect((await request(`${api.url}/v1/models/sides/aliases/production`, { method: 'DELETE' })).status).toBe(404);
    expect((await request(`${api.url}/v1/models/sides/versions/2`, { method: 'DELETE' })).status).toBe(204);
    expect((await model('sides')).body.aliases).toEqual({});
  });

  it('answers 404 for unknown models and versions and 400 for malformed ones', async () => {
    expect((await model('nothing')).status).toBe(404);
    expect((await model('Bad_Name')).status).toBe(400);
    expect((await request(`${api.url}/v1/models/sides/versions/0`)).status).toBe(400);
    expect((await request(`${api.url}/v1/models/sides/versions/77`)).status).toBe(404);
    expect((await request(`${api.url}/v1/models/sides/versions/production`, { method: 'DELETE' })).status).toBe(400);
  });
});
