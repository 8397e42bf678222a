/**
 * node bench/dist/batch-large.js [rows] (after npm run build): one batch prediction of a large
 * iris-shaped dataset (2,000,000 rows by default, about 60 MB), scored by two worker processes
 * serving batch and batch-chunks, with every process's RSS sampled 10 times a second: memory stays
 * bounded whatever the dataset's size (docs/benchmarks.md records a run). On a redis-server of its
 * own; every process it starts is stopped.
 */
import { measureBatchThroughput } from './scenarios/batch-throughput.js';
import { settings, trainBody } from './settings.js';
import { PrivateRedis } from './support/private-redis.js';
import { awaitSuccess, submitTask } from './trainyard/tasks.js';
import { benchStack, TrainyardStack } from './trainyard/stack.js';

const rows = Number(process.argv[2] ?? 2_000_000);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

const redis = await PrivateRedis.start(settings.waitTimeoutMs);
try {
  const stack = await TrainyardStack.start(benchStack(redis.url));
  try {
    await awaitSuccess(stack.client, await submitTask(stack.client, '/v1/train', trainBody('large', settings.memory.epochs)), settings.waitTimeoutMs);
    let apiPeak = 0;
    const sampler = setInterval(() => (apiPeak = Math.max(apiPeak, stack.apiRssBytes())), 100);
    const batch = await measureBatchThroughput(stack, { model: 'large', rows, repetitions: 1, workers: 2, sampleHz: 10 }).finally(() => clearInterval(sampler));
    console.log(
      `${rows} rows scored by ${batch.workers} workers at ${batch.rowsPerSecond.median.toFixed(0)} rows/s (upload excluded); ` +
        `peak RSS of the batch workers ${batch.peakRssBytes.map(mb).join(' and ')} MB; of the API ${mb(apiPeak)} MB (upload included)`,
    );
  } finally {
    await stack.stop();
  }
} finally {
  await redis.stop();
}
