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
import { RawBullmq } from './ceilings/raw-bullmq.js';
import { renderFigures, runDetails, writeFigures } from './report/document.js';
import { rows } from './report/rows.js';
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
import { predictBody, settings, trainBody } from './settings.js';
import { describeBuild } from './support/build.js';
import { describeMachine } from './support/machine.js';
import { PrivateRedis } from './support/private-redis.js';
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
  const { throughput, submit, latency, authCost, memory, waitTimeoutMs: timeoutMs } = settings;
  const redis = await PrivateRedis.start(timeoutMs);
  stops.push(() => redis.stop());
  const redisUrl = redis.url;
  const machine = await describeMachine(redisUrl);
  const models = Array.from({ length: memory.models }, (_, i) => `bench-iris-${i}`);
  const model = models[0]!;

  log('starting the no-op BullMQ worker, the bare Express server, our API and worker');
  const bare = await BareSubmitServer.start(redisUrl, timeoutMs);
  stops.push(() => bare.stop());
  const raw = await RawBullmq.start(redisUrl, bare.prefix, throughput.workerConcurrency, timeoutMs);
  stops.push(() => raw.stop());
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

  // Measured before the load scenarios, whose heap growth is not what this figure is about.
  log(`worker memory after loading ${models.length} models`);
  const workerRssAfterLoad = await workerRssAfterLoading(stack, models, timeoutMs);
  const predictOnlyRss = await predictOnlyWorkerRss(stack, models, timeoutMs);

  log('idle latency');
  const latencyFigures = await measureIdleLatency(stack, raw, { model, ...latency });

  log('warm throughput');
  const throughputFigures = await measureWarmThroughput(stack, raw, bare, { redisUrl, model, ...throughput });
  const workerRssAfterThroughput = stack.workerRssBytes();

  log('late answers of Prefer: wait and GET ?wait');
  const lateAnswers = await measureLateAnswers(stack, { model, ...settings.lateAnswers });

  log('cache hits');
  const cacheHits = await measureCacheHits(stack, { model, ...settings.cacheHits, timeoutMs });

  log(`batch predictions: ${settings.batch.rows} rows, ${settings.batch.workers} workers`);
  const batch = await measureBatchThroughput(stack, { model, ...settings.batch, sampleHz: memory.sampleHz });

  log('Redis work per task');
  const redisWork = await measureRedisWork(redis, stack, raw, { model, ...settings.redisWork, submitConcurrency: throughput.submitConcurrency, timeoutMs });

  log('submit path (workers stopped, nothing drains)');
  await Promise.all([stack.stopWorker(), raw.stopWorker()]);
  const ours = { url: stack.url, headers: stack.authHeaders, reset: () => stack.obliterate('predict'), rssBytes: () => stack.apiRssBytes(), cpuSeconds: () => stack.apiCpuSeconds() };
  const submitOptions = { body: () => predictBody(model), ...submit, sampleHz: memory.sampleHz };
  const bareTarget = { url: bare.url, reset: () => bare.obliterate(), rssBytes: () => bare.rssBytes(), cpuSeconds: () => bare.cpuSeconds() };
  const submitFigures = await measureSubmitPath(ours, bareTarget, submitOptions);

  log('submit path with API keys and rate limits, against the same build with AUTH=off (two fresh API processes)');
  const reset = () => stack.obliterate('predict');
  const [secured, open] = [await stack.startApi('API with keys', 'on'), await stack.startApi('API with AUTH=off', 'off')];
  stops.push(() => secured.stop(), () => open.stop());
  const authFigures = await measureAuthCost({ ...secured, reset }, { ...open, reset }, { ...submitOptions, ...authCost });

  await stopAll();
  const results = {
    machine,
    build: describeBuild(settings.apiMain),
    startedAt,
    durationSeconds: (performance.now() - t0) / 1000,
    loadAverageAtEnd: loadavg()[0]!,
    submit: submitFigures,
    auth: authFigures,
    throughput: throughputFigures,
    latency: latencyFigures,
    lateAnswers,
    cacheHits,
    batch,
    redisWork,
    workerRss: {
      atStart: workerRssAtStart,
      afterTraining: workerRssAfterTraining,
      afterLoading: workerRssAfterLoad,
      afterThroughput: workerRssAfterThroughput,
      predictOnly: predictOnlyRss,
    },
    models: models.length,
  };
  const table = rows(results);
  console.log(`\n${machine.cores} cores, ${machine.cpu}, Node ${machine.node}, Redis ${machine.redis}, load ${machine.loadAverage.toFixed(2)}\n`);
  console.log(textTable(table));
  console.log(`\n${runDetails(results).join('\n')}\n`);
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
