/**
 * node bench/dist/shards.js (after npm run build; npm run bench:shards builds first): predictions/s
 * with QUEUE_SHARDS=1 and 3 on a private Redis Cluster of three masters with a replica each (the
 * tests' starter, scripts/redis-cluster.js), our API and one worker each time, and how much CPU
 * each master and each process spent meanwhile. Prints a Markdown table for docs/scaling.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { chooseShard } from '@trainyard/shared/jobs';
import { apiNodeFlags } from '../../scripts/processes.js';
import { PrivateCluster } from '../../scripts/redis-cluster.js';
import { predictBody, settings, trainBody } from './settings.js';
import { freePort, JsonClient } from './support/http.js';
import { NodeProcess } from './support/processes.js';
import { repeated, type Repeated } from './support/stats.js';
import { waitFor } from './support/wait.js';
import { awaitSuccess, forEachConcurrently, submitTask } from './trainyard/tasks.js';

const shardCounts = [1, 3];
/** Models per shard of the 3-shard run (the same models serve the 1-shard run). */
const modelsPerShard = 2;
/** Requests in flight, each a POST /v1/predict that waits for its answer (Prefer: wait). */
const lanes = 64;
const warmupSeconds = 2;
const measureSeconds = 8;
const rounds = 3;

const t0 = performance.now();
const log = (message: string) => console.error(`[shards ${((performance.now() - t0) / 1000).toFixed(1)}s] ${message}`);

interface Figures {
  shards: number;
  rate: Repeated;
  /** CPU seconds per second of measuring: each master's, busiest first, then the API's and the worker's. */
  masterCpu: number[];
  apiCpu: number;
  workerCpu: number;
}

async function main(): Promise<void> {
  log('starting a private cluster of three masters with a replica each');
  const cluster = await PrivateCluster.start();
  const stacks: ShardedStack[] = [];
  try {
    // Tenant "default" owns the bootstrap key: these names put two models on each of three shards.
    const models = [0, 1, 2].flatMap((shard) => modelsOn(shard, modelsPerShard));
    // Both stacks run side by side (the idle one only waits) and their rounds alternate, so a
    // drift of the machine (other work on its cores) hits both alike.
    for (const shards of shardCounts) {
      log(`starting the API and a worker with QUEUE_SHARDS=${shards}, training ${models.length} models`);
      stacks.push(await ShardedStack.start(cluster, shards, models));
    }
    const figures = new Map(stacks.map((stack) => [stack, { runs: [] as number[], seconds: 0, masters: new Map<number, number>(), api: 0, worker: 0 }]));
    for (let round = 0; round < rounds; round++) {
      for (const stack of stacks) {
        log(`round ${round + 1} of ${rounds}, QUEUE_SHARDS=${stack.shards}`);
        const totals = figures.get(stack)!;
        const before = { masters: await masterCpu(cluster), api: stack.api.cpuSeconds(), worker: stack.worker.cpuSeconds() };
        const started = performance.now();
        totals.runs.push((await predictFor(stack.client, models, measureSeconds)) / measureSeconds);
        totals.seconds += (performance.now() - started) / 1000;
        for (const [port, cpu] of await masterCpu(cluster)) totals.masters.set(port, (totals.masters.get(port) ?? 0) + cpu - (before.masters.get(port) ?? 0));
        totals.api += stack.api.cpuSeconds() - before.api;
        totals.worker += stack.worker.cpuSeconds() - before.worker;
      }
    }
    console.log(
      report(
        stacks.map((stack) => {
          const { runs, seconds, masters, api, worker } = figures.get(stack)!;
          const masterCpu = [...masters.values()].map((cpu) => cpu / seconds).sort((a, b) => b - a);
          return { shards: stack.shards, rate: repeated(runs), masterCpu, apiCpu: api / seconds, workerCpu: worker / seconds };
        }),
      ),
    );
  } finally {
    for (const stack of stacks) await stack.stop();
    await cluster.stop();
  }
}

function modelsOn(shard: number, count: number): string[] {
  const names: string[] = [];
  for (let i = 0; names.length < count; i++) if (chooseShard('predict', 3, 'default', `shard-bench-${i}`) === shard) names.push(`shard-bench-${i}`);
  return names;
}

/** Our API and one worker on the cluster with QUEUE_SHARDS=shards, its models trained and warmed up. */
class ShardedStack {
  private constructor(
    readonly shards: number,
    readonly api: NodeProcess,
    readonly worker: NodeProcess,
    readonly client: JsonClient,
    private readonly storageDir: string,
  ) {}

  static async start(cluster: PrivateCluster, shards: number, models: string[]): Promise<ShardedStack> {
    const storageDir = await mkdtemp(join(tmpdir(), 'ty-bench-shards-'));
    const key = `ty_${randomBytes(32).toString('base64url')}`;
    const port = await freePort();
    const env = {
      REDIS_URL: cluster.url,
      QUEUE_PREFIX: `ty-bench-shards-${randomBytes(4).toString('hex')}`,
      QUEUE_SHARDS: String(shards),
      STORAGE_URL: pathToFileURL(storageDir).href,
      LOG_LEVEL: settings.logLevel,
      RATE_LIMIT_SUBMITS: '1000000000',
      RATE_LIMIT_READS: '1000000000',
      TENANT_MAX_TASKS: '1000000000',
    };
    const api = NodeProcess.start({ label: `API (${shards} shards)`, script: settings.apiMain, env: { ...env, PORT: String(port), BOOTSTRAP_API_KEY: key }, nodeArgs: [...apiNodeFlags] });
    const worker = NodeProcess.start({
      label: `worker (${shards} shards)`,
      script: settings.workerMain,
      env: { ...env, WORKER_QUEUES: 'train,predict', PREDICT_CONCURRENCY: String(settings.throughput.workerConcurrency) },
    });
    const stack = new ShardedStack(shards, api, worker, new JsonClient(`http://127.0.0.1:${port}`, { authorization: `Bearer ${key}` }, lanes), storageDir);
    try {
      const giveUpIf = () => (api.assertRunning(), worker.assertRunning());
      await waitFor('the API to answer', async () => (await stack.client.get('/v1/models').catch(() => ({ status: 0 }))).status === 200, {
        timeoutMs: settings.waitTimeoutMs,
        intervalMs: 100,
        giveUpIf,
      });
      const trainings = await forEachConcurrently(models, models.length, (model) => submitTask(stack.client, '/v1/train', trainBody(model, 20)));
      for (const taskId of trainings) await awaitSuccess(stack.client, taskId, settings.waitTimeoutMs);
      await predictFor(stack.client, models, warmupSeconds);
      return stack;
    } catch (error) {
      await stack.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.client.close();
    await Promise.all([this.api.stop(), this.worker.stop()]);
    await rm(this.storageDir, { recursive: true, force: true });
  }
}

/** Predictions answered SUCCESS within `seconds`, from `lanes` requests in flight over the models in turn. */
async function predictFor(client: JsonClient, models: string[], seconds: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let answered = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (performance.now() < until) {
        const response = await client.post<{ status?: string }>('/v1/predict', predictBody(models[next++ % models.length]!), { prefer: 'wait=30' });
        if (response.status !== 200 || response.body?.status !== 'SUCCESS') throw new Error(`a prediction answered ${response.status}: ${JSON.stringify(response.body)}`);
        if (performance.now() < until) answered++;
      }
    }),
  );
  return answered;
}

/** CPU seconds (user + system) each master has used so far, by port. */
async function masterCpu(cluster: PrivateCluster): Promise<Map<number, number>> {
  const masters = new Map<number, number>();
  for (const port of cluster.ports) {
    const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      const info = await redis.info();
      if (!/role:master/.test(info)) continue;
      const cpu = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
      masters.set(port, cpu('used_cpu_user') + cpu('used_cpu_sys'));
    } finally {
      redis.disconnect();
    }
  }
  return masters;
}

function report(figures: Figures[]): string {
  const lines = [
    `Predictions/s on a 6-node private cluster, ${cpus().length} CPU cores (load average ${loadavg()[0]!.toFixed(1)} at the end), ${lanes} requests in flight (POST /v1/predict, Prefer: wait), ${rounds} alternating rounds of ${measureSeconds} s; CPU in seconds per second of measuring.`,
    '',
    '| QUEUE_SHARDS | predictions/s (median, min–max) | busiest master CPU | other masters CPU | API CPU | worker CPU |',
    '| --- | --- | --- | --- | --- | --- |',
    ...figures.map(({ shards, rate, masterCpu, apiCpu, workerCpu }) =>
      `| ${shards} | ${rate.median.toFixed(0)} (${rate.min.toFixed(0)}–${rate.max.toFixed(0)}) | ${masterCpu[0]!.toFixed(2)} | ${masterCpu.slice(1).map((cpu) => cpu.toFixed(2)).join(', ')} | ${apiCpu.toFixed(2)} | ${workerCpu.toFixed(2)} |`,
    ),
  ];
  return lines.join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
