import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { apiNodeFlags } from '../../../scripts/processes.js';
import { settings } from '../settings.js';
import { freePort, JsonClient } from '../support/http.js';
import { NodeProcess } from '../support/processes.js';
import { obliterateQueue } from '../support/queues.js';
import { deletePrefix, uniquePrefix } from '../support/redis-keys.js';
import { waitFor } from '../support/wait.js';

export interface StackOptions {
  /** Built entry points: apps/api/dist/main.js and apps/worker/dist/main.js. */
  apiMain: string;
  workerMain: string;
  redisUrl: string;
  logLevel: string;
  trainConcurrency: number;
  predictConcurrency: number;
  timeoutMs: number;
  /** Node flags for both processes, e.g. --cpu-prof. */
  nodeArgs: string[];
}

/** The stack as the bench runs it: the builds, log level and concurrencies of the settings. */
export function benchStack(redisUrl: string, nodeArgs: string[] = []): StackOptions {
  return {
    apiMain: settings.apiMain,
    workerMain: settings.workerMain,
    redisUrl,
    logLevel: settings.logLevel,
    trainConcurrency: 1,
    predictConcurrency: settings.throughput.workerConcurrency,
    timeoutMs: settings.waitTimeoutMs,
    nodeArgs,
  };
}

/**
 * Limits high enough never to refuse a bench request: they are counted on every request all the
 * same, which is the cost measured.
 */
const unrefused = { RATE_LIMIT_SUBMITS: '1000000000', RATE_LIMIT_READS: '1000000000', TENANT_MAX_TASKS: '1000000000' };

const appEnv = (options: StackOptions, prefix: string, storageDir: string) => ({
  REDIS_URL: options.redisUrl,
  QUEUE_PREFIX: prefix,
  STORAGE_URL: pathToFileURL(storageDir).href,
  LOG_LEVEL: options.logLevel,
  ...unrefused,
});

/** The API runs as npm start and the image run it. */
const apiArgs = (options: StackOptions) => [...apiNodeFlags, ...options.nodeArgs];

/** One more API process on the stack's prefix and storage, started fresh for one scenario. */
export interface ExtraApi {
  url: string;
  /** What every request to it carries: the admin key, or nothing with AUTH=off. */
  headers: Record<string, string>;
  rssBytes(): number;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Our API and one worker, each its own process, on a fresh queue prefix and a fresh storage folder. */
export class TrainyardStack {
  readonly client: JsonClient;
  private worker: NodeProcess | null = null;
  private readonly extraWorkers = new Set<NodeProcess>();

  private constructor(
    private readonly options: StackOptions,
    readonly prefix: string,
    readonly url: string,
    /** The admin key (BOOTSTRAP_API_KEY) every request of the bench carries. */
    readonly authHeaders: Record<string, string>,
    private readonly storageDir: string,
    private readonly env: Record<string, string>,
    private readonly api: NodeProcess,
  ) {
    this.client = new JsonClient(url, authHeaders);
  }

  static async start(options: StackOptions): Promise<TrainyardStack> {
    const prefix = uniquePrefix('stack');
    const storageDir = await mkdtemp(join(tmpdir(), 'ty-bench-storage-'));
    const port = await freePort();
    const key = `ty_${randomBytes(32).toString('base64url')}`;
    const env = appEnv(options, prefix, storageDir);
    const api = NodeProcess.start({ label: 'API', script: options.apiMain, env: { ...env, PORT: String(port), BOOTSTRAP_API_KEY: key }, nodeArgs: apiArgs(options) });
    const stack = new TrainyardStack(options, prefix, `http://127.0.0.1:${port}`, { authorization: `Bearer ${key}` }, storageDir, env, api);
    stack.worker = stack.spawnWorker('worker', 'train,predict');
    try {
      await stack.ready();
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  apiRssBytes(): number {
    return this.api.rssBytes();
  }

  apiCpuSeconds(): number {
    return this.api.cpuSeconds();
  }

  /**
   * Starts another API process of the same build on this stack's prefix and storage: with the
   * stack's admin key, or with AUTH=off (on 127.0.0.1). Ready once it answers an authorized call.
   */
  async startApi(label: string, auth: 'on' | 'off'): Promise<ExtraApi> {
    const port = await freePort();
    const key = this.authHeaders.authorization!.slice('Bearer '.length);
    const env = { ...appEnv(this.options, this.prefix, this.storageDir), PORT: String(port), ...(auth === 'on' ? { BOOTSTRAP_API_KEY: key } : { AUTH: 'off', HOST: '127.0.0.1' }) };
    const server = NodeProcess.start({ label, script: this.options.apiMain, env, nodeArgs: apiArgs(this.options) });
    const headers = auth === 'on' ? this.authHeaders : {};
    const client = new JsonClient(`http://127.0.0.1:${port}`, headers);
    try {
      await waitFor(`${label} to answer`, async () => (await client.get('/v1/models')).status === 200, {
        timeoutMs: this.options.timeoutMs,
        intervalMs: 100,
        giveUpIf: () => server.assertRunning(),
      });
    } catch (error) {
      await server.stop();
      throw error;
    } finally {
      client.close();
    }
    return { url: `http://127.0.0.1:${port}`, headers, rssBytes: () => server.rssBytes(), cpuSeconds: () => server.cpuSeconds(), stop: () => server.stop() };
  }

  workerRssBytes(): number {
    if (!this.worker) throw new Error('the worker is stopped');
    return this.worker.rssBytes();
  }

  /** CPU seconds the worker's process has used so far. */
  workerCpuSeconds(): number {
    if (!this.worker) throw new Error('the worker is stopped');
    return this.worker.cpuSeconds();
  }

  /** Stops the worker only, so nothing drains the queues while the submit path is measured. */
  async stopWorker(): Promise<void> {
    await this.worker?.stop();
    this.worker = null;
  }

  /**
   * Another worker process on the same queues' prefix, serving `queues` (WORKER_QUEUES), once it is
   * connected to each of them. Stopped with the stack, or earlier by the caller.
   */
  async addWorker(label: string, queues: string): Promise<NodeProcess> {
    const worker = this.spawnWorker(label, queues);
    this.extraWorkers.add(worker);
    const names = queues.split(',');
    const before = await this.workerCounts(names);
    await waitFor(`the ${label} to connect`, async () => (await this.workerCounts(names)).every((count, i) => count > before[i]!), {
      timeoutMs: this.options.timeoutMs,
      intervalMs: 100,
      giveUpIf: () => worker.assertRunning(),
    });
    return worker;
  }

  async stopWorkerProcess(worker: NodeProcess): Promise<void> {
    this.extraWorkers.delete(worker);
    await worker.stop();
  }

  private spawnWorker(label: string, queues: string): NodeProcess {
    return NodeProcess.start({
      label,
      script: this.options.workerMain,
      env: {
        ...this.env,
        WORKER_QUEUES: queues,
        TRAIN_CONCURRENCY: String(this.options.trainConcurrency),
        PREDICT_CONCURRENCY: String(this.options.predictConcurrency),
      },
      nodeArgs: this.options.nodeArgs,
    });
  }

  private async workerCounts(names: string[]): Promise<number[]> {
    const queues = names.map((name) => new Queue(name, { prefix: this.prefix, connection: { url: this.options.redisUrl } }));
    try {
      return await Promise.all(queues.map((queue) => queue.getWorkersCount()));
    } finally {
      await Promise.all(queues.map((queue) => queue.close()));
    }
  }

  /** Empties one queue between measurements (no worker may be running). */
  obliterate(queueName: string): Promise<void> {
    return obliterateQueue(this.options.redisUrl, this.prefix, queueName);
  }

  async stop(): Promise<void> {
    this.client.close();
    await Promise.all([this.api.stop(), this.worker?.stop(), ...[...this.extraWorkers].map((worker) => worker.stop())]);
    await deletePrefix(this.options.redisUrl, this.prefix);
    await rm(this.storageDir, { recursive: true, force: true });
  }

  /** The API answers an authorized call and a worker is connected to both queues. */
  private async ready(): Promise<void> {
    const queues = ['train', 'predict'].map(
      (name) => new Queue(name, { prefix: this.prefix, connection: { url: this.options.redisUrl } }),
    );
    try {
      const giveUpIf = () => {
        this.api.assertRunning();
        this.worker?.assertRunning();
      };
      await waitFor('the API and the worker to be ready', async () => {
        if ((await this.client.get('/v1/models')).status !== 200) return false;
        const counts = await Promise.all(queues.map((queue) => queue.getWorkersCount()));
        return counts.every((count) => count > 0);
      }, { timeoutMs: this.options.timeoutMs, intervalMs: 100, giveUpIf });
    } finally {
      await Promise.all(queues.map((queue) => queue.close()));
    }
  }
}
