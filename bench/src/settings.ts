import { fileURLToPath } from 'node:url';

/**
 * Every knob of one bench run. Sized for a 2-core machine: the whole run takes about 80 s, and
 * each figure is the median of a few repetitions that alternate with their ceiling's.
 */
const repoFile = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** The scenarios of a run, in the order they run. */
export const scenarios = ['memory', 'latency', 'throughput', 'late', 'cache', 'batch', 'redis', 'submit', 'auth'] as const;
export type Scenario = (typeof scenarios)[number];

/**
 * BENCH_ONLY=submit,cache,latency runs those scenarios alone (for iterating on one figure): the
 * others are skipped, their rows left out, and docs/benchmarks.md is not rewritten.
 */
function selectedScenarios(only: string | undefined): ReadonlySet<Scenario> {
  if (!only?.trim()) return new Set(scenarios);
  const named = only.split(',').map((name) => name.trim());
  const unknown = named.filter((name) => !(scenarios as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`BENCH_ONLY: no scenario ${unknown.join(', ')}; the scenarios are ${scenarios.join(', ')}`);
  return new Set(named as Scenario[]);
}

export const settings = {
  /** The builds under test; point these elsewhere to compare another build. */
  apiMain: process.env.BENCH_API_MAIN ?? repoFile('apps/api/dist/main.js'),
  workerMain: process.env.BENCH_WORKER_MAIN ?? repoFile('apps/worker/dist/main.js'),
  /** Where the generated figures go. */
  docPath: repoFile('docs/benchmarks.md'),
  /** Log level handed to the API and the worker: per-request logging is not what is measured. */
  logLevel: 'warn',
  /** When set, the API and the worker write V8 CPU profiles (node --cpu-prof) into this folder. */
  cpuProfileDir: process.env.BENCH_CPU_PROF_DIR,
  /** BENCH_ONLY: the scenarios this run measures (all by default). */
  selected: selectedScenarios(process.env.BENCH_ONLY),

  submit: {
    /** Same autocannon settings for our API and the bare Express ceiling. */
    connections: 16,
    warmupSeconds: 1,
    measureSeconds: 3,
    /** Rounds alternate bare → bare + admission (the floor) → ours, so a drift of the machine hits all alike. */
    rounds: 5,
  },

  throughput: {
    tasks: 3_000,
    warmupTasks: 500,
    /** In-flight POSTs of the submitting client. */
    submitConcurrency: 16,
    /** Worker concurrency for the predict queue, ours and the no-op ceiling alike. */
    workerConcurrency: 8,
    repetitions: 3,
    /** Gives up on one repetition after this long. */
    timeoutMs: 60_000,
  },

  latency: {
    warmup: 30,
    samples: 200,
    blocks: 4,
  },

  /** API keys and rate limits against AUTH=off: the submit rounds above, then one POST at a time. */
  authCost: {
    warmup: 100,
    samples: 1_000,
    blocks: 4,
  },

  lateAnswers: {
    /** Per way of waiting; the target is stated per 10,000. */
    samples: 10_000,
    concurrency: 16,
    lateMs: 50,
  },

  cacheHits: {
    connections: 16,
    seconds: 2,
    rounds: 3,
  },

  redisWork: {
    tasks: 2_000,
    /** Finished tasks read back once each, for the cost of a GET. */
    reads: 200,
  },

  batch: {
    rows: 500_000,
    repetitions: 3,
    /** Worker processes serving batch and batch-chunks (the target is stated for two). */
    workers: 2,
  },

  memory: {
    models: 10,
    /** Epochs per trained model: enough for a real model, short enough to train ten in seconds. */
    epochs: 50,
    /** RSS samples per second while the API is under load. */
    sampleHz: 10,
  },

  /** Any single wait (readiness, a training, a drain) fails the run after this long. */
  waitTimeoutMs: 120_000,
} as const;

let rowsSent = 0;
const runSalt = Math.random();

/**
 * A predict request for one iris-shaped row never sent before in this run (nor, by the random
 * salt, in another), so neither the prediction cache nor the deduplication of identical batches
 * in flight can stand in for the worker: every request is a real prediction.
 */
export const predictBody = (model: string) => ({
  model,
  inputs: [[5.1, 3.5, 1.4, 0.2 + runSalt * 1e-3 + ++rowsSent * 1e-9]],
});

/** The train request from the brief, for one named model. */
export const trainBody = (model: string, epochs: number) => ({
  model,
  algorithm: 'logistic-regression',
  dataset: { name: 'iris', target: 'species' },
  params: { epochs, seed: 1 },
});
