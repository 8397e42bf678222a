import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import type { RawBullmq } from '../ceilings/raw-bullmq.js';
import { predictBody } from '../settings.js';
import { CompletionCounter } from '../support/completions.js';
import type { DrainMeter } from '../support/drain-meter.js';
import { JsonClient } from '../support/http.js';
import { pairedRatios, repeated, type Repeated } from '../support/stats.js';
import { forEachConcurrently, getTask, submitTask } from '../trainyard/tasks.js';
import type { TrainyardStack } from '../trainyard/stack.js';

export interface ThroughputOptions {
  redisUrl: string;
  model: string;
  tasks: number;
  /** Tasks of an unmeasured first round per side, so JIT warm-up and connection set-up are not measured. */
  warmupTasks: number;
  submitConcurrency: number;
  repetitions: number;
  timeoutMs: number;
}

/** Where the bare Express server listens and queues: the no-op worker drains its jobs. */
export interface BareFront {
  url: string;
  prefix: string;
}

export interface ThroughputFigures {
  /** Tasks/s per repetition. */
  ours: Repeated;
  raw: Repeated;
  /** ours / raw, repetition by repetition. */
  ratio: Repeated;
  /** The bare Express server and the no-op worker, submitted to exactly as ours: HTTP's share of the gap. */
  bareEndToEnd: Repeated;
  /** The floor of our guarantees end to end: a bare front admitting as ours, the guarantees floor's worker, the same client. */
  guaranteesEndToEnd: { runs: Repeated; cost: Repeated; ratio: Repeated };
  /**
   * Workers alone, tasks/s: the queue is paused while the tasks are queued (ours over HTTP, the
   * no-op worker's by addBulk), the clock starts at resume.
   */
  drain: { ours: Repeated; raw: Repeated; ratio: Repeated; floor: DrainFloor; guarantees: DrainFloor };
}

/** The no-op worker draining jobs that carry our jobs' BullMQ options (the floor of our worker), or also writing what our guarantees write per task, paired with the two drains. */
export interface DrainFloor {
  /** Jobs/s per round. */
  runs: Repeated;
  /** floor / no-op: what our jobs' options (and guarantees) cost alone. */
  cost: Repeated;
  /** ours / floor: what the guarantees leave. */
  ratio: Repeated;
}

/**
 * N predictions submitted over HTTP until all have completed, against addBulk of N jobs drained by a
 * no-op worker of the same concurrency, and against the bare Express server in front of that
 * worker, and against the floor of our guarantees (`floor.admitting`, a bare front that admits and
 * queues as ours, in front of the guarantees floor's worker). Every side stops the clock at the N-th
 * completed event on the queue's event stream; ours
 * then checks over HTTP that every task reads SUCCESS (untimed). The workers-alone drains pair the
 * no-op worker, the floors (`floor.options`, another no-op worker on its own queue, draining jobs with
 * our options; `floor.guarantees`, one that also writes what our guarantees write per task) and ours.
 */
export async function measureWarmThroughput(
  stack: TrainyardStack,
  raw: RawBullmq,
  floor: { options: RawBullmq; guarantees: RawBullmq; admitting: BareFront },
  bare: BareFront,
  options: ThroughputOptions,
): Promise<ThroughputFigures> {
  const bareClient = new JsonClient(bare.url);
  const bareOnce = (tasks: number) => submitUntilCompleted(bareClient, bare.prefix, { ...options, tasks });
  const admittingClient = new JsonClient(floor.admitting.url);
  const admittingOnce = (tasks: number) => submitUntilCompleted(admittingClient, floor.admitting.prefix, { ...options, tasks });
  try {
    await raw.throughput(options.warmupTasks, options.timeoutMs);
    await bareOnce(options.warmupTasks);
    await admittingOnce(options.warmupTasks);
    await oursOnce(stack, { ...options, tasks: options.warmupTasks });
    const oursRuns: number[] = [];
    const rawRuns: number[] = [];
    const bareRuns: number[] = [];
    const admittingRuns: number[] = [];
    for (let i = 0; i < options.repetitions; i++) {
      rawRuns.push(await raw.throughput(options.tasks, options.timeoutMs));
      bareRuns.push((await bareOnce(options.tasks)).rate);
      admittingRuns.push((await admittingOnce(options.tasks)).rate);
      oursRuns.push(await oursOnce(stack, options));
    }
    await warmFloorAsOurs(floor.options, stack, options);
    await warmFloorAsOurs(floor.guarantees, stack, options);
    const oursDrains: number[] = [];
    const rawDrains: number[] = [];
    const floorDrains: number[] = [];
    const guaranteesDrains: number[] = [];
    for (let i = 0; i < options.repetitions; i++) {
      rawDrains.push(await raw.drainOnly(options.tasks, options.timeoutMs));
      floorDrains.push(await floor.options.drainOnly(options.tasks, options.timeoutMs));
      guaranteesDrains.push(await floor.guarantees.drainOnly(options.tasks, options.timeoutMs));
      oursDrains.push(await drainOnly(stack, options));
    }
    const floorOf = (drains: number[]): DrainFloor => ({ runs: repeated(drains), cost: pairedRatios(drains, rawDrains), ratio: pairedRatios(oursDrains, drains) });
    return {
      ours: repeated(oursRuns),
      raw: repeated(rawRuns),
      ratio: pairedRatios(oursRuns, rawRuns),
      bareEndToEnd: repeated(bareRuns),
      guaranteesEndToEnd: { runs: repeated(admittingRuns), cost: pairedRatios(admittingRuns, bareRuns), ratio: pairedRatios(oursRuns, admittingRuns) },
      drain: {
        ours: repeated(oursDrains),
        raw: repeated(rawDrains),
        ratio: pairedRatios(oursDrains, rawDrains),
        floor: floorOf(floorDrains),
        guarantees: floorOf(guaranteesDrains),
      },
    };
  } finally {
    bareClient.close();
    admittingClient.close();
  }
}

/** POSTs `tasks` predictions (a bounded number in flight) and times them until the last has completed. */
async function submitUntilCompleted(client: JsonClient, prefix: string, options: ThroughputOptions): Promise<{ rate: number; taskIds: string[] }> {
  const counter = await CompletionCounter.open(options.redisUrl, prefix, 'predict');
  try {
    const started = performance.now();
    const taskIds = await forEachConcurrently(new Array<null>(options.tasks).fill(null), options.submitConcurrency, () =>
      submitTask(client, '/v1/predict', predictBody(options.model)),
    );
    await counter.until(options.tasks, options.timeoutMs);
    return { rate: (options.tasks * 1000) / (performance.now() - started), taskIds };
  } finally {
    await counter.close();
  }
}

/**
 * Warms the floor's worker up with a drain of at least `warmupTasks` jobs, and as many as leave its
 * queue holding as many completed jobs as ours: from then on retention trims both alike, by count
 * once they reach TASK_RETENTION_COUNT.
 */
export async function warmFloorAsOurs(floor: RawBullmq, stack: TrainyardStack, options: Pick<ThroughputOptions, 'redisUrl' | 'warmupTasks' | 'timeoutMs'>): Promise<void> {
  const queue = new Queue('predict', { prefix: stack.prefix, connection: { url: options.redisUrl } });
  try {
    const behind = (await queue.getCompletedCount()) - (await floor.completedCount());
    await floor.drainOnly(Math.max(options.warmupTasks, behind), options.timeoutMs);
  } finally {
    await queue.close();
  }
}

/** Separates the worker's share from the API's: only the draining of already queued tasks is timed. */
export async function drainOnly(stack: TrainyardStack, options: Omit<ThroughputOptions, 'warmupTasks' | 'repetitions'>, meter?: DrainMeter): Promise<number> {
  const queue = new Queue('predict', { prefix: stack.prefix, connection: { url: options.redisUrl } });
  const counter = await CompletionCounter.open(options.redisUrl, stack.prefix, 'predict');
  try {
    await queue.pause();
    await forEachConcurrently(new Array<null>(options.tasks).fill(null), options.submitConcurrency, () =>
      submitTask(stack.client, '/v1/predict', predictBody(options.model)),
    );
    await meter?.started();
    const started = performance.now();
    await queue.resume();
    await counter.until(options.tasks, options.timeoutMs);
    const rate = (options.tasks * 1000) / (performance.now() - started);
    await meter?.stopped();
    return rate;
  } finally {
    await queue.resume();
    await Promise.all([counter.close(), queue.close()]);
  }
}

async function oursOnce(stack: TrainyardStack, options: ThroughputOptions): Promise<number> {
  const { rate, taskIds } = await submitUntilCompleted(stack.client, stack.prefix, options);
  const statuses = await forEachConcurrently(taskIds, options.submitConcurrency, async (id) => (await getTask(stack.client, id)).status);
  const unfinished = statuses.filter((status) => status !== 'SUCCESS').length;
  if (unfinished) throw new Error(`${unfinished} of ${options.tasks} predict tasks do not read SUCCESS after completing`);
  return rate;
}
