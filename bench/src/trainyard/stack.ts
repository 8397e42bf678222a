import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { apiNodeFlags } from '../../../scripts/processes.js';
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

/**
 * Limits high enough never to refuse a bench request: they are counted on every request all the
 * same, which is the cost measured.
 */
const unrefused = { RATE_LIMIT_SUBMITS: '1000000000', RATE_LIMIT_READS: '1000000000', TENANT_MAX_TASKS: '1000000000' };

/**
 * Our API and one worker, each its own process, on a fresh queue prefix and a fresh storage folder;
 * beside the API, the same build with AUTH=off on the same prefix, for what authentication costs.
 */
export class TrainyardStack {
  readonly client: JsonClient;
  private worker: NodeProcess | null;

  private constructor(
    private readonly options: StackOptions,
    readonly prefix: string,
    readonly url: string,
    /** The API with AUTH=off (on 127.0.0.1): tenant default, no key, no rate limit. */
    readonly openUrl: string,
    /** The admin key (BOOTSTRAP_API_KEY) every request to `url` carries. */
    readonly authHeaders: Record<string, string>,
    private readonly storageDir: string,
    private readonly api: NodeProcess,
    private readonly openApi: NodeProcess,
    worker: NodeProcess,
  ) {
    this.client = new JsonClient(url, authHeaders);
    this.worker = worker;
  }

  static async start(options: StackOptions): Promise<TrainyardStack> {
    const prefix = uniquePrefix('stack');
    const storageDir = await mkdtemp(join(tmpdir(), 'ty-bench-storage-'));
    const [port, openPort] = [await freePort(), await freePort()];
    const key = `ty_${randomBytes(32).toString('base64url')}`;
    const env = {
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: prefix,
      STORAGE_URL: pathToFileURL(storageDir).href,
      LOG_LEVEL: options.logLevel,
      ...unrefused,
    };
    // Started as npm start and the image start it.
    const apiArgs = [...apiNodeFlags, ...options.nodeArgs];
    const api = NodeProcess.start({ label: 'API', script: options.apiMain, env: { ...env, PORT: String(port), BOOTSTRAP_API_KEY: key }, nodeArgs: apiArgs });
    const openApi = NodeProcess.start({
      label: 'API with AUTH=off',
      script: options.apiMain,
      env: { ...env, PORT: String(openPort), AUTH: 'off', HOST: '127.0.0.1' },
      nodeArgs: apiArgs,
    });
    const worker = NodeProcess.start({
      label: 'worker',
      script: options.workerMain,
      env: {
        ...env,
        WORKER_QUEUES: 'train,predict',
        TRAIN_CONCURRENCY: String(options.trainConcurrency),
        PREDICT_CONCURRENCY: String(options.predictConcurrency),
      },
      nodeArgs: options.nodeArgs,
    });
    const urlOf = (p: number) => `http://127.0.0.1:${p}`;
    const stack = new TrainyardStack(options, prefix, urlOf(port), urlOf(openPort), { authorization: `Bearer ${key}` }, storageDir, api, openApi, worker);
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

  openApiRssBytes(): number {
    return this.openApi.rssBytes();
  }

  workerRssBytes(): number {
    if (!this.worker) throw new Error('the worker is stopped');
    return this.worker.rssBytes();
  }

  /** Stops the worker only, so nothing drains the queues while the submit path is measured. */
  async stopWorker(): Promise<void> {
    await this.worker?.stop();
    this.worker = null;
  }

  /** Empties one queue between measurements (no worker may be running). */
  obliterate(queueName: string): Promise<void> {
    return obliterateQueue(this.options.redisUrl, this.prefix, queueName);
  }

  async stop(): Promise<void> {
    this.client.close();
    await Promise.all([this.api.stop(), this.openApi.stop(), this.worker?.stop()]);
    await deletePrefix(this.options.redisUrl, this.prefix);
    await rm(this.storageDir, { recursive: true, force: true });
  }

  /** Both APIs answer an authenticated call and a worker is connected to both queues. */
  private async ready(): Promise<void> {
    const queues = ['train', 'predict'].map(
      (name) => new Queue(name, { prefix: this.prefix, connection: { url: this.options.redisUrl } }),
    );
    const open = new JsonClient(this.openUrl);
    try {
      const giveUpIf = () => {
        this.api.assertRunning();
        this.openApi.assertRunning();
        this.worker?.assertRunning();
      };
      await waitFor('the APIs and the worker to be ready', async () => {
        if ((await this.client.get('/v1/models')).status !== 200) return false;
        if ((await open.get('/v1/models')).status !== 200) return false;
        const counts = await Promise.all(queues.map((queue) => queue.getWorkersCount()));
        return counts.every((count) => count > 0);
      }, { timeoutMs: this.options.timeoutMs, intervalMs: 100, giveUpIf });
    } finally {
      open.close();
      await Promise.all(queues.map((queue) => queue.close()));
    }
  }
}
