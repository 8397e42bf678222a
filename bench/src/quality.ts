/**
 * npm run bench:quality: trains every algorithm on the bundled data sets through the real API and
 * worker, scores each on held-out rows through POST /v1/predict, and prints held-out metrics and
 * training times next to scikit-learn's on the same split (when Debian's python3-sklearn is
 * installed). Every process it starts is stopped, every key and file it wrote is deleted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { algorithmsFor, prepareDatasets, sklearnAvailable } from './quality/datasets.js';
import { runReferences, type ReferenceJob } from './quality/reference.js';
import { qualityTable, type QualityRow } from './quality/report.js';
import { irisEndToEnd, trainAndScore, uploadTrainingRows } from './quality/trainyard-runs.js';
import { settings } from './settings.js';
import { PrivateRedis } from './support/private-redis.js';
import { median } from './support/stats.js';
import { describeMachine } from './support/machine.js';
import { TrainyardStack } from './trainyard/stack.js';

const t0 = performance.now();
const log = (message: string) => console.error(`[bench:quality ${((performance.now() - t0) / 1000).toFixed(1)}s] ${message}`);
/** Timed trainings per algorithm and data set, after one warm-up; the median time counts. */
const repetitions = 3;
const warmRuns = 10;

async function main(): Promise<void> {
  // A redis-server of the bench's own, as npm run bench uses: no other work shares it.
  const redis = await PrivateRedis.start(settings.waitTimeoutMs);
  const machine = await describeMachine(redis.url);
  const withSklearn = await sklearnAvailable();
  if (!withSklearn) {
    console.log('scikit-learn is not installed for /usr/bin/python3 (apt-get install -y python3-sklearn): no reference column, and only our own samples.');
  }
  const dir = await mkdtemp(join(tmpdir(), 'ty-quality-'));
  let stack: TrainyardStack | undefined;
  try {
    const sets = await prepareDatasets(dir, withSklearn);
    log(`data sets: ${sets.map((set) => `${set.name} (${set.trainRows} training rows)`).join(', ')}`);
    stack = await TrainyardStack.start({
      apiMain: settings.apiMain,
      workerMain: settings.workerMain,
      redisUrl: redis.url,
      logLevel: settings.logLevel,
      trainConcurrency: 1,
      predictConcurrency: 4,
      timeoutMs: settings.waitTimeoutMs,
      nodeArgs: [],
    });
    log('iris end to end, the first training after the worker started and then warm');
    const endToEnd = await irisEndToEnd(stack, warmRuns);

    const rows: QualityRow[] = [];
    const jobs: ReferenceJob[] = [];
    for (const set of sets) {
      const dataset = await uploadTrainingRows(stack, set);
      for (const { algorithm, reference, params } of algorithmsFor(set)) {
        log(`${set.name}: ${algorithm}`);
        const ours = await trainAndScore(stack, set, dataset, algorithm, params, repetitions);
        const id = `${set.name}/${algorithm}`;
        rows.push({ id, set, algorithm, ours });
        jobs.push({ id, model: reference, set });
      }
    }
    if (withSklearn) log('scikit-learn references');
    const references = withSklearn ? await runReferences(jobs) : new Map();

    console.log(qualityTable(rows, references));
    console.log(
      `\nIris logistic regression end to end (POST /v1/train with Prefer: wait until SUCCESS): ` +
        `${endToEnd.coldMs.toFixed(0)} ms for the first training after the worker started, ` +
        `median ${median(endToEnd.warmMs).toFixed(0)} ms warm (${endToEnd.warmMs.map((ms) => ms.toFixed(0)).join(', ')}).`,
    );
    console.log(`Machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, Redis ${machine.redis}, load average ${machine.loadAverage.toFixed(2)} at start.`);
  } finally {
    await stack?.stop();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
