import { Queue, UnrecoverableError, type Job, type JobsOptions, type Telemetry } from 'bullmq';
import { z } from 'zod';
import { emailJobData, webhookJobData } from '../notify/job.js';
import { batchChunkJobData, batchJobData } from './batch.js';
import { defaultJobOptions, type RetryAndRetention } from './options.js';
import { predictJobData } from './predict.js';
import { trainJobData } from './train.js';
import type { RedisClient } from '../platform/redis.js';

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

/**
 * The queues a process adds jobs to, built from the catalog only. `add` parses the data with the
 * job's schema before it goes to Redis, so no malformed job is ever queued.
 */
export class JobQueues {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    connection: RedisClient,
    prefix: string,
    retries: QueueRetries,
    /** BullMQ re-emits its connection's errors here; failed commands also reject to their callers. */
    onError: (error: Error) => void,
    /** Traces each add and carries its context in the job, to the worker that processes it. */
    telemetry?: Telemetry,
  ) {
    for (const [name, retry] of Object.entries(retries) as [QueueName, RetryAndRetention][]) {
      const queue = new Queue(name, { connection, prefix, defaultJobOptions: defaultJobOptions(retry), ...(telemetry ? { telemetry } : {}) });
      queue.on('error', onError);
      this.queues.set(name, queue);
    }
  }

  get<Q extends QueueName>(name: Q): CatalogQueue<Q> {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`this process has no ${name} queue`);
    return queue as CatalogQueue<Q>;
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  async add<N extends JobName>(name: N, data: JobInput<N>, options: JobsOptions = {}): Promise<Job> {
    const { queue, data: schema } = jobCatalog[name];
    return this.queues.get(queue)!.add(name, schema.parse(data), options);
  }

  /** Adds several jobs of one queue in one transaction. */
  async addBulk<N extends JobName>(jobs: { name: N; data: JobInput<N>; options?: JobsOptions }[]): Promise<Job[]> {
    const [first] = jobs;
    if (!first) return [];
    const queue = this.queues.get(jobCatalog[first.name].queue)!;
    return queue.addBulk(jobs.map(({ name, data, options }) => ({ name, data: jobCatalog[name].data.parse(data), opts: options })));
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
