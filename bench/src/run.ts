/**
 * npm run bench: measures Trainyard next to the ceiling each figure is judged against, prints the
 * table and writes it to docs/benchmarks.md. Everything runs on a redis-server of the bench's own
 * (its statistics are reset and read); every process it starts is stopped, whether the run
 * succeeds or not.
 */
import { resolve } from 'node:path';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { BareSubmitServer } from './ceilings/bare-submit.js';
import { BareTaskServer } from './ceilings/bare-task.js';
import { ourPredictJobs } from './ceilings/our-predict-jobs.js';
import { RawBullmq } from './ceilings/raw-bullmq.js';
import { renderFigures, runDetails, writeFigures } from './report/document.js';
import { rows, type BenchResults } from './report/rows.js';
import { textTable } from './report/table.js';
import { measureAuthCost } from './scenarios/auth-cost.js';
import { measureBatchThroughput } from './scenarios/batch-throughput.js';
import { measureCacheHits } from './scenarios/cache-hit.js';
import { measureIdleLatency } from './scenarios/idle-latency.js';
import { measureLateAnswers } from './scenarios/late-answers.js';
import { predictOnlyWorkerRss, workerRssAfterLoading } from './scenarios/memory.js';
import { measureRedisWork } from './scenarios/redis-work.js';
import { measureSubmitPath } from './scenarios/submit-path.js';
import { measureWarmThroughput } from './scenarios/warm-throughput.js';
import { predictBody, scenarios, settings, trainBody, type Scenario } from './settings.js';
import { describeBuild } from './support/build.js';
import { describeMachine } from './support/machine.js';
import { PrivateRedis } from './support/private-redis.js';
import { uniquePrefix } from './support/redis-keys.js';
import { benchStack, TrainyardStack } from './trainyard/stack.js';
import { awaitSuccess, forEachConcurrently, submitTask } from './trainyard/tasks.js';

const t0 = performance.now();
const log = (message: string) => console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${message}`);

/** Stops what was started, last first; also on Ctrl-C. */
const stops: (() => Promise<void>)[] = [];
async function stopAll(): Promise<void> {
  for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
}
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));

async function main(): Promise<void> {
  const startedAt = new Date();
  const { throughput, submit, latency, authCost, memory, waitTimeoutMs: timeoutMs, selected } = settings;
  const runs = (scenario: Scenario) => selected.has(scenario);
  const complete = scenarios.every(runs);
  const redis = await PrivateRedis.start(timeoutMs);
  stops.push(() => redis.stop());
  const redisUrl = redis.url;
  const machine = await describeMachine(redisUrl);
  // The memory figure needs every model; the other scenarios predict with the first.
  const models = Array.from({ length: runs('memory') ? memory.models : 1 }, (_, i) => `bench-iris-${i}`);
  const model = models[0]!;

  log('starting the no-op BullMQ worker, the bare Express server, our API and worker');
  const bare = await BareSubmitServer.start(redisUrl, timeoutMs);
  stops.push(() => bare.stop());
  const raw = await RawBullmq.start(redisUrl, bare.prefix, throughput.workerConcurrency, timeoutMs);
  stops.push(() => raw.stop());
  // The floors' workers, each on a queue of its own: jobs with our options; the same, also writing what our guarantees write.
  const startFloor = async (bookkeeping: boolean) => {
    const floor = await RawBullmq.start(redisUrl, uniquePrefix(bookkeeping ? 'guarantees-floor' : 'noop-floor'), throughput.workerConcurrency, timeoutMs, ourPredictJobs, bookkeeping);
    stops.push(() => floor.stop());
    return floor;
  };
  const [optionsFloor, guaranteesFloor] = await Promise.all([startFloor(false), startFloor(true)]);
  const stack = await TrainyardStack.start(
    benchStack(redisUrl, settings.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(settings.cpuProfileDir)}`] : []),
  );
  stops.push(() => stack.stop());
  const workerRssAtStart = stack.workerRssBytes();

  log(`training ${models.length} models`);
  const trainings = await forEachConcurrently(models, models.length, (name) =>
    submitTask(stack.client, '/v1/train', trainBody(name, memory.epochs)),
  );
  for (const taskId of trainings) await awaitSuccess(stack.client, taskId, timeoutMs);
  const workerRssAfterTraining = stack.workerRssBytes();

  const results: BenchResults = {
    machine,
    build: describeBuild(settings.apiMain),
    startedAt,
    durationSeconds: 0,
    loadAverageAtEnd: 0,
    models: models.length,
  };

  if (runs('memory')) {
    // Measured before the load scenarios, whose heap growth is not what this figure is about.
    log(`worker memory after loading ${models.length} models`);
    const afterLoading = await workerRssAfterLoading(stack, models, timeoutMs);
    const predictOnly = await predictOnlyWorkerRss(stack, models, timeoutMs);
    results.workerRss = { atStart: workerRssAtStart, afterTraining: workerRssAfterTraining, afterLoading, afterThroughput: 0, predictOnly };
  }

  if (runs('latency')) {
    log('idle latency');
    const floor = await BareTaskServer.start(redisUrl, raw.prefix, timeoutMs);
    stops.push(() => floor.stop());
    const admitting = await BareTaskServer.start(redisUrl, guaranteesFloor.prefix, timeoutMs, true);
    stops.push(() => admitting.stop());
    results.latency = await measureIdleLatency(stack, raw, floor, { front: admitting, worker: guaranteesFloor }, { model, ...latency });
    // Their event readers would follow every job of the later scenarios on those queues.
    await Promise.all([floor.stop(), admitting.stop()]);
  }

  if (runs('throughput')) {
    log('warm throughput');
    const admitting = await BareTaskServer.start(redisUrl, guaranteesFloor.prefix, timeoutMs, true);
    stops.push(() => admitting.stop());
    const floors = { options: optionsFloor, guarantees: guaranteesFloor, admitting: { url: admitting.url, prefix: guaranteesFloor.prefix } };
    results.throughput = await measureWarmThroughput(stack, raw, floors, bare, { redisUrl, model, ...throughput });
    await admitting.stop();
    if (results.workerRss) results.workerRss.afterThroughput = stack.workerRssBytes();
  }

  if (runs('late')) {
    log('late answers of Prefer: wait and GET ?wait');
    results.lateAnswers = await measureLateAnswers(stack, { model, ...settings.lateAnswers });
  }

  if (runs('cache')) {
    log('cache hits');
    results.cacheHits = await measureCacheHits(stack, { model, redisUrl, ...settings.cacheHits, timeoutMs });
  }

  if (runs('batch')) {
    log(`batch predictions: ${settings.batch.rows} rows, ${settings.batch.workers} workers`);
    results.batch = await measureBatchThroughput(stack, { model, ...settings.batch, sampleHz: memory.sampleHz });
  }

  if (runs('redis')) {
    log('Redis work per task');
    results.redisWork = await measureRedisWork(redis, stack, raw, guaranteesFloor, { model, ...settings.redisWork, submitConcurrency: throughput.submitConcurrency, timeoutMs });
  }

  log('workers stopped, nothing drains');
  await Promise.all([stack.stopWorker(), raw.stopWorker(), optionsFloor.stopWorker(), guaranteesFloor.stopWorker()]);
  const submitOptions = { body: () => predictBody(model), ...submit, sampleHz: memory.sampleHz };
  if (runs('submit')) {
    log('submit path');
    const floor = await BareSubmitServer.start(redisUrl, timeoutMs, true);
    stops.push(() => floor.stop());
    const ours = { url: stack.url, headers: stack.authHeaders, reset: () => stack.obliterate('predict'), rssBytes: () => stack.apiRssBytes(), cpuSeconds: () => stack.apiCpuSeconds() };
    const target = (server: BareSubmitServer) => ({ url: server.url, reset: () => server.obliterate(), rssBytes: () => server.rssBytes(), cpuSeconds: () => server.cpuSeconds() });
    results.submit = await measureSubmitPath(ours, target(bare), target(floor), submitOptions);
  }

  if (runs('auth')) {
    log('submit path with API keys and rate limits, against the same build with AUTH=off (two fresh API processes)');
    const reset = () => stack.obliterate('predict');
    const [secured, open] = [await stack.startApi('API with keys', 'on'), await stack.startApi('API with AUTH=off', 'off')];
    stops.push(() => secured.stop(), () => open.stop());
    results.auth = await measureAuthCost({ ...secured, reset }, { ...open, reset }, { ...submitOptions, ...authCost });
  }

  await stopAll();
  results.durationSeconds = (performance.now() - t0) / 1000;
  results.loadAverageAtEnd = loadavg()[0]!;
  const table = rows(results);
  console.log(`\n${machine.cores} cores, ${machine.cpu}, Node ${machine.node}, Redis ${machine.redis}, load ${machine.loadAverage.toFixed(2)} at the start, ${results.loadAverageAtEnd.toFixed(2)} at the end\n`);
  console.log(textTable(table));
  console.log(`\n${runDetails(results).join('\n')}\n`);
  if (!complete) {
    log(`BENCH_ONLY=${[...selected].join(',')}: a partial run, ${settings.docPath} left as it was`);
    return;
  }
  await writeFigures(settings.docPath, renderFigures(results, table), 'Benchmarks');
  log(`figures written to ${settings.docPath}`);
}

try {
  await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
