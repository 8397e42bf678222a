import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { admitOurPredictJob, ourBacklog } from '../ceilings/our-predict-jobs.js';
import type { RawBullmq } from '../ceilings/raw-bullmq.js';
import { predictBody } from '../settings.js';
import type { JsonClient } from '../support/http.js';
import type { PrivateRedis, RedisCounters } from '../support/private-redis.js';
import { sleep } from '../support/wait.js';
import { forEachConcurrently, getTask, submitTask } from '../trainyard/tasks.js';
import type { TrainyardStack } from '../trainyard/stack.js';

export interface RedisWork {
  /** Commands per task, commands that scripts called included (INFO commandstats). */
  commands: number;
  /** Redis CPU per task, µs (INFO cpu: used_cpu_user + used_cpu_sys). */
  cpuMicros: number;
  /** The commands that account for most calls, per task. */
  top: [command: string, perTask: number][];
}

export interface RedisWorkFigures {
  tasks: number;
  /** POST /v1/predict, the worker's processing: everything a predict task costs Redis until it completed. */
  ours: RedisWork;
  /** queue.add of the same job data, drained by the no-op worker. */
  raw: RedisWork;
  /**
   * The floor of our guarantees' Redis work: our admission (TaskBacklog.admit), queue.add of a job
   * with our options, drained by the no-op worker writing what our guarantees write per task.
   */
  floor: RedisWork;
  /** One GET /v1/tasks/{id} of a finished task. */
  read: RedisWork;
}

export interface RedisWorkOptions {
  model: string;
  tasks: number;
  reads: number;
  submitConcurrency: number;
  timeoutMs: number;
}

/** The bench's own commands, left out of the figures. */
const ownCommands = new Set(['info', 'config|resetstat', 'ping']);
const pollMs = 10;

/**
 * What a predict task costs the one Redis every replica shares, against plain BullMQ: the server's
 * counters are reset, N tasks go through (submitted with the same concurrency on both sides) and
 * the counters are read once the N-th has completed. Measured on the bench's private redis-server.
 */
export async function measureRedisWork(redis: PrivateRedis, stack: TrainyardStack, raw: RawBullmq, guarantees: RawBullmq, options: RedisWorkOptions): Promise<RedisWorkFigures> {
  const ids: string[] = [];
  const ours = await counted(redis, stack.prefix, options, async () => {
    ids.push(...(await forEachConcurrently(Array.from({ length: options.tasks }), options.submitConcurrency, () => submitTask(stack.client, '/v1/predict', predictBody(options.model)))));
  });
  const rawWork = await counted(redis, raw.prefix, options, async () => {
    await forEachConcurrently(Array.from({ length: options.tasks }), options.submitConcurrency, () => raw.addOne());
  });
  const admissions = new Redis(redis.url);
  const floor = await counted(redis, guarantees.prefix, options, async () => {
    const backlog = ourBacklog(admissions, guarantees.prefix);
    await forEachConcurrently(Array.from({ length: options.tasks }), options.submitConcurrency, async () => guarantees.addOne(await admitOurPredictJob(backlog)));
  }).finally(() => admissions.disconnect());
  const sample = ids.slice(0, options.reads);
  await redis.resetCounters();
  const before = await redis.counters();
  await forEachConcurrently(sample, 1, (id) => getTask(stack.client, id));
  const read = perTask(before, await redis.counters(), sample.length, 0);
  return { tasks: options.tasks, ours, raw: rawWork, floor, read };
}

/** Runs `submit` on an emptied completed set, and counts until that set holds every task. */
async function counted(redis: PrivateRedis, prefix: string, options: RedisWorkOptions, submit: () => Promise<void>): Promise<RedisWork> {
  const queue = new Queue('predict', { prefix, connection: { url: redis.url } });
  const completed = new Redis(redis.url);
  try {
    await queue.clean(0, 0, 'completed');
    // Lets the workers go back to waiting, so the counts start from an idle system.
    await sleep(200);
    await redis.resetCounters();
    const before = await redis.counters();
    await submit();
    let polls = 0;
    for (const deadline = Date.now() + options.timeoutMs; ; polls++) {
      if ((await completed.zcard(queue.keys.completed!)) >= options.tasks) break;
      if (Date.now() > deadline) throw new Error(`not every task of ${prefix} completed within ${options.timeoutMs} ms`);
      await sleep(pollMs);
    }
    return perTask(before, await redis.counters(), options.tasks, polls + 1);
  } finally {
    completed.disconnect();
    await queue.close();
  }
}

function perTask(before: RedisCounters, after: RedisCounters, tasks: number, ownZcards: number): RedisWork {
  const calls = Object.entries(after.calls)
    .filter(([name]) => !ownCommands.has(name))
    .map(([name, count]): [string, number] => [name, (name === 'zcard' ? count - ownZcards : count) / tasks])
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1]);
  return {
    commands: calls.reduce((sum, [, count]) => sum + count, 0),
    cpuMicros: (after.cpuMicros - before.cpuMicros) / tasks,
    top: calls.slice(0, 8),
  };
}
