import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Trainyard } from '@trainyard/client';
import { TaskEventLog } from '@trainyard/shared/tasks';
import { testAdminKey } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { PrivateReplicatedRedis } from '@trainyard/test-support/redis-server';
import { tempStorage, trainIris } from '@trainyard/test-support/stack';

/**
 * The built API reading tasks from a real replica (REDIS_READ_URL) whose replication the test holds
 * back, with the built worker on the primary; a second API without a replica reads the same tasks.
 */

const prefix = 'replica';
const storage = tempStorage('read-replica');
let servers: PrivateReplicatedRedis;
let api: RunningProcess & { url: string };
let primaryOnlyApi: RunningProcess & { url: string };
let worker: RunningProcess | undefined;
let primary: Redis;

beforeAll(async () => {
  servers = await PrivateReplicatedRedis.start();
  const env = { REDIS_URL: servers.primary.url, QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, primaryOnlyApi] = await Promise.all([startApi({ ...env, REDIS_READ_URL: servers.replica.url }), startApi(env)]);
  primary = new Redis(servers.primary.url);
});

afterEach(() => servers.catchUp());

afterAll(async () => {
  await Promise.all([api?.stop(), primaryOnlyApi?.stop(), worker?.stop()]);
  primary?.disconnect();
  await servers?.stop();
  storage.remove();
});

async function startTrainingWorker(): Promise<void> {
  worker ??= await startWorker({ REDIS_URL: servers.primary.url, QUEUE_PREFIX: prefix, STORAGE_URL: storage.url, WORKER_QUEUES: 'train' });
}

const client = () => new Trainyard({ url: api.url, apiKey: testAdminKey });
const statusOf = async (url: string, taskId: string, headers: Record<string, string> = {}) => {
  const response = await request<{ status: string }>(`${url}/v1/tasks/${taskId}`, { headers });
  return `${response.status} ${response.body.status}`;
};

describe('while the replica lags', () => {
  it('a task just created is read, not 404', async () => {
    await servers.lag();
    const created = await client().train(trainIris('created-while-lagging'));
    // A plain request without any token: the replica does not know the task, so the primary answers.
    expect(await statusOf(api.url, created.task_id)).toBe('200 PENDING');
  });

  it('a task just finished is never read back as pending by the client that saw it finish', async () => {
    const yard = client();
    const { task_id: taskId } = await yard.train(trainIris('finished-while-lagging'));
    // The replica has the task as PENDING (no worker runs yet), then stops applying the primary's writes.
    await servers.catchUp();
    await servers.lag();
    await startTrainingWorker();

    expect((await yard.task(taskId, { wait: 60 })).status).toBe('SUCCESS');
    // The client sends back what it has seen: the lagging replica cannot answer, the primary does.
    expect((await yard.task(taskId)).status).toBe('SUCCESS');
    // The replica really is behind: a request that says nothing of what it saw gets the replica's answer.
    expect(await statusOf(api.url, taskId)).toBe('200 PENDING');
    // Resuming the event stream after the last event the primary logged finds the end, not "past the end".
    const lastId = await new TaskEventLog(primary, prefix, 3_600).lastId(taskId);
    const resumed = await fetch(`${api.url}/v1/tasks/${taskId}/events`, { headers: { authorization: `Bearer ${testAdminKey}`, 'last-event-id': lastId } });
    expect(resumed.status).toBe(204);
    // A stream opened with the token starts from the state the client has seen: the end.
    // (A wait, even of 0 s, reads the primary and answers the token of what it read.)
    const told = await request(`${api.url}/v1/tasks/${taskId}?wait=0`);
    const opened = await fetch(`${api.url}/v1/tasks/${taskId}/events`, {
      headers: { authorization: `Bearer ${testAdminKey}`, 'trainyard-seen': told.headers.get('trainyard-seen')! },
    });
    const opening = await opened.text();
    expect([told.body.status, opening.includes('"status":"SUCCESS"'), opening.includes('"status":"PENDING"')]).toEqual(['SUCCESS', true, false]);
  });

  it('a malformed token is a 400 naming the header', async () => {
    const { task_id: taskId } = await client().train(trainIris('malformed-token'));
    const response = await request(`${api.url}/v1/tasks/${taskId}`, { headers: { 'trainyard-seen': 'yesterday' } });
    expect([response.status, response.body.error.code, response.body.error.issues[0].path]).toEqual([400, 'invalid_request', 'trainyard-seen']);
  });
});

describe('once the replica has caught up', () => {
  const reads = 100;
  const notReads = new Set(['info', 'config|resetstat', 'replconf', 'client|setname']);

  /** What the primary ran for `reads` status reads of a finished task through one API. */
  async function primaryWorkFor(url: string, finishedTask: string): Promise<{ commands: number; scripts: number; replicaScripts: number; byCommand: object }> {
    const yard = new Trainyard({ url, apiKey: testAdminKey });
    await yard.task(finishedTask);
    await servers.catchUp();
    await servers.resetCounts();
    for (let i = 0; i < reads; i++) expect((await yard.task(finishedTask)).status).toBe('SUCCESS');
    const { primary: onPrimary, replica: onReplica } = await servers.commandCounts();
    // INFO commandstats counts the commands scripts run too. Left out: the test's own and replication's.
    const total = [...onPrimary].filter(([name]) => !notReads.has(name)).reduce((sum, [, calls]) => sum + calls, 0);
    return { commands: total, scripts: onPrimary.get('evalsha') ?? 0, replicaScripts: onReplica.get('evalsha') ?? 0, byCommand: Object.fromEntries(onPrimary) };
  }

  it('status reads leave the primary alone', async () => {
    await startTrainingWorker();
    const { task_id: taskId } = await client().train(trainIris('read-load'));
    expect((await client().task(taskId, { wait: 60 })).status).toBe('SUCCESS');
    const withReplica = await primaryWorkFor(api.url, taskId);
    const withoutReplica = await primaryWorkFor(primaryOnlyApi.url, taskId);
    console.log(`primary commands per status read (besides INFO): with a replica ${withReplica.commands / reads}, without ${withoutReplica.commands / reads}`, {
      withReplica,
      withoutReplica,
    });
    expect(withoutReplica.scripts).toBeGreaterThanOrEqual(reads);
    expect(withReplica.replicaScripts).toBeGreaterThanOrEqual(reads);
    // What stays on the primary is the same for both: the key's rate-limit leases (a script per lease of reads).
    expect(withReplica.scripts).toBeLessThan(withoutReplica.scripts / 5);
    expect(withReplica.commands).toBeLessThan(withoutReplica.commands / 5);
  });
});
