import { Queue, UnrecoverableError, type Job, type JobsOptions, type QueueOptions, type Telemetry } from 'bullmq';
import { z } from 'zod';
import { emailJobData, webhookJobData } from '../notify/job.js';
import { batchChunkJobData, batchJobData } from './batch.js';
import { defaultJobOptions, type RetryAndRetention } from './options.js';
import { predictJobData } from './predict.js';
import { trainJobData } from './train.js';
import type { RedisClient } from '../platform/redis.js';
import { shardPrefix } from '../platform/redis-url.js';
import { newTaskId, taskShardOf, type TaskType } from '../tasks/ids.js';
import { chooseShard, shardedTypes, shardRange } from './shards.js';

/**
 * Every job the platform queues: the queue it goes to and the schema of its data. Names are
 * `domain.verb`; queue names are short nouns, and the task queues' names are the task types.
 */
export const jobCatalog = {
  'model.train': { queue: 'train', data: trainJobData },
  'model.predict': { queue: 'predict', data: predictJobData },
  'batch.predict': { queue: 'batch', data: batchJobData },
  /** Not a task: a share of a batch.predict task's rows, scored by any batch worker. */
  'batch.score-chunk': { queue: 'batch-chunks', data: batchChunkJobData },
  'email.send': { queue: 'notify', data: emailJobData },
  'webhook.send': { queue: 'notify', data: webhookJobData },
} as const;

type Catalog = typeof jobCatalog;
export type JobName = keyof Catalog;
export type QueueName = Catalog[JobName]['queue'];
export const queueNames: readonly QueueName[] = [...new Set(Object.values(jobCatalog).map((job) => job.queue))];

export type JobData<N extends JobName> = z.output<Catalog[N]['data']>;
/** What a caller hands `add`: the schema's input, before defaults. */
export type JobInput<N extends JobName> = z.input<Catalog[N]['data']>;
/** The names of the jobs a queue carries. */
export type JobNameOf<Q extends QueueName> = { [N in JobName]: Catalog[N]['queue'] extends Q ? N : never }[JobName];
export type QueueData<Q extends QueueName> = JobData<JobNameOf<Q>>;
export type CatalogQueue<Q extends QueueName> = Queue<QueueData<Q>, unknown, JobNameOf<Q>>;
export type CatalogJob<Q extends QueueName> = Job<QueueData<Q>, unknown, JobNameOf<Q>>;
/** A job of a queue whose data was checked against its name's schema; switch on `name`. */
export type ParsedJob<Q extends QueueName> = { [N in JobNameOf<Q>]: { name: N; data: JobData<N> } }[JobNameOf<Q>];

/** Retries and retention per queue, from the settings of the process that adds jobs to it. */
export type QueueRetries = { [Q in QueueName]?: RetryAndRetention };

/** A queue of the catalog in one shard (QUEUE_SHARDS): shard 0 for the queues that are not sharded. */
export interface ShardQueue {
  queue: Queue;
  shard: number;
}

/**
 * The queues a process adds jobs to, built from the catalog only. `add` parses the data with the
 * job's schema before it goes to Redis, so no malformed job is ever queued. The task types split
 * over shards (shardedTypes) have a queue per shard, each under its shard's prefix; a task's id
 * names its shard.
 */
export class JobQueues {
  private readonly queues = new Map<string, ShardQueue>();
  private readonly options: Map<QueueName, QueueOptions>;

  constructor(
    connection: RedisClient,
    private readonly prefix: string,
    retries: QueueRetries,
    /** BullMQ re-emits its connection's errors here; failed commands also reject to their callers. */
    private readonly onError: (error: Error) => void,
    /** Traces each add and carries its context in the job, to the worker that processes it. */
    telemetry?: Telemetry,
    /** QUEUE_SHARDS */
    private readonly shards = 1,
  ) {
    const entries = Object.entries(retries) as [QueueName, RetryAndRetention][];
    this.options = new Map(entries.map(([name, retry]) => [name, { connection, defaultJobOptions: defaultJobOptions(retry), ...(telemetry ? { telemetry } : {}) }]));
    for (const [name] of entries) for (const shard of shardedTypes.has(name as TaskType) ? shardRange(shards) : [0]) this.open(name, shard);
  }

  private open(name: QueueName, shard: number): Queue {
    const key = `${name}#${shard}`;
    const open = this.queues.get(key);
    if (open) return open.queue;
    const options = this.options.get(name);
    if (!options) throw new Error(`this process has no ${name} queue`);
    const queue = new Queue(name, { ...options, prefix: shardPrefix(this.prefix, shard) });
    queue.on('error', this.onError);
    this.queues.set(key, { queue, shard });
    return queue;
  }

  /** Opens the sharded queues of these shards too (retired ones, beyond QUEUE_SHARDS, still holding jobs), so listings of the queues show them. */
  openShards(shards: readonly number[]): void {
    for (const name of this.options.keys()) if (shardedTypes.has(name as TaskType)) for (const shard of shards) this.open(name, shard);
  }

  /** A new task's id, naming the shard its tenant's model goes to (chooseShard). */
  newTaskId(type: TaskType, tenant: string, model: string | null): string {
    return newTaskId(type, chooseShard(type, this.shards, tenant, model));
  }

  /** The queue (shard 0's, for a sharded type). */
  get<Q extends QueueName>(name: Q): CatalogQueue<Q> {
    return this.open(name, 0) as CatalogQueue<Q>;
  }

  /** The queue a task's job is on, from its id; a shard beyond QUEUE_SHARDS (one dropped since) still opens. */
  forTask<T extends TaskType>(type: T, taskId: string): CatalogQueue<T> {
    return this.open(type, taskShardOf(taskId)) as CatalogQueue<T>;
  }

  all(): Queue[] {
    return this.withShards().map(({ queue }) => queue);
  }

  /** Every queue with its shard. */
  withShards(): ShardQueue[] {
    return [...this.queues.values()];
  }

  /** Adds a job; a task's (its jobId a task id) goes to the shard its id names. */
  async add<N extends JobName>(name: N, data: JobInput<N>, options: JobsOptions = {}): Promise<Job> {
    const { queue, data: schema } = jobCatalog[name];
    return this.open(queue, options.jobId ? taskShardOf(options.jobId) : 0).add(name, schema.parse(data), options);
  }

  /** Adds several jobs of one queue in one transaction. */
  async addBulk<N extends JobName>(jobs: { name: N; data: JobInput<N>; options?: JobsOptions }[]): Promise<Job[]> {
    const [first] = jobs;
    if (!first) return [];
    const queue = this.get(jobCatalog[first.name].queue);
    return (queue as Queue).addBulk(jobs.map(({ name, data, options }) => ({ name, data: jobCatalog[name].data.parse(data), opts: options })));
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
  }
}

/**
 * The worker's side of the catalog: a job's data is checked again where it is consumed (types alone
 * do not validate). An unknown name or data that does not parse fails without retries: another
 * attempt cannot fix it.
 */
export function parseJob<Q extends QueueName>(queue: Q, job: { name: string; data: unknown }): ParsedJob<Q> {
  const entry = (jobCatalog as Record<string, { queue: QueueName; data: z.ZodType }>)[job.name];
  if (!entry || entry.queue !== queue || !Object.hasOwn(jobCatalog, job.name)) {
    throw new UnrecoverableError(`unknown job "${job.name}" on the ${queue} queue`);
  }
  const result = entry.data.safeParse(job.data);
  if (!result.success) throw new UnrecoverableError(`malformed job data: ${z.prettifyError(result.error)}`);
  return { name: job.name, data: result.data } as ParsedJob<Q>;
}
