import { readFile, writeFile } from 'node:fs/promises';
import { settings } from '../settings.js';
import { percentile } from '../support/stats.js';
import { markdownTable } from './table.js';
import type { LatencyBreakdown, LatencyCpu } from '../scenarios/idle-latency.js';
import type { BenchResults, Row } from './rows.js';

const begin = '<!-- bench:begin (written by npm run bench; edit outside these markers) -->';
const end = '<!-- bench:end -->';

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const percentiles = (samples: number[]) => [50, 90, 99].map((p) => percentile(samples, p).toFixed(2)).join(' / ');
const cpuPerTask = ({ api, worker }: LatencyCpu, front = 'API') => `CPU per task: ${front} ${(api / 1000).toFixed(2)} ms, worker ${(worker / 1000).toFixed(2)} ms`;
const breakdown = ({ queued, running, observed }: LatencyBreakdown) =>
  `median ms from the task's timestamps: queued ${queued}, running ${running}, finished → SUCCESS in the client's hands ${observed}`;
const list = (values: number[], digits = 0) => values.map((value) => value.toFixed(digits)).join(', ');

/** The generated part of docs/benchmarks.md: machine, settings, the table and every raw run. */
export function renderFigures(results: BenchResults, table: readonly Row[]): string {
  const { machine } = results;
  return [
    begin,
    `Last run: ${results.startedAt.toISOString()}, ${results.durationSeconds.toFixed(0)} s in all, of the API and worker built from ${results.build}.`,
    '',
    `Machine: ${machine.cores} cores (nproc), ${machine.cpu}, Node ${machine.node}, Redis ${machine.redis}; ` +
      `load average ${machine.loadAverage.toFixed(2)} at the start, ${results.loadAverageAtEnd.toFixed(2)} at the end ` +
      '(the bench itself adds about 1.5; much more means other work shared the cores).',
    '',
    markdownTable(table),
    '',
    'Figures are medians, with (min–max) over repetitions. Each repetition measures the ceiling (and the floor) and then ours back to back;',
    'a ratio is the median of the per-repetition ratios, so a slow patch of the machine cancels out. Every run:',
    '',
    ...runDetails(results),
    end,
  ].join('\n');
}

const perTask = (top: [string, number][]) => top.map(([name, count]) => `${name} ${count.toFixed(2)}`).join(', ');

/** One line per scenario that ran, with every repetition's figure and how ours was observed. */
export function runDetails({ submit, auth, throughput, latency, lateAnswers, cacheHits, batch, redisWork, workerRss, models }: BenchResults): string[] {
  return [
    ...(submit
      ? [
          `- Submit path, ${settings.submit.rounds} rounds of ${settings.submit.measureSeconds} s after ${settings.submit.warmupSeconds} s warm-up, ` +
            `autocannon ${settings.submit.connections} connections: ours ${list(submit.ours.runs)} req/s; bare ${list(submit.bare.runs)} req/s; ` +
            `bare + admission (the floor) ${list(submit.floor.runs)} req/s. ` +
            `Server process CPU per request (median): ours ${submit.oursCpuMs.median.toFixed(3)} ms, bare ${submit.bareCpuMs.median.toFixed(3)} ms, ` +
            `floor ${submit.floorCpuMs.median.toFixed(3)} ms. ` +
            `RSS: our API ${mb(submit.oursIdleRssBytes)} MB before the rounds (after the earlier scenarios), ${mb(submit.oursPeakRssBytes)} MB peak under load; ` +
            `the bare server ${mb(submit.barePeakRssBytes)} MB peak under the same load.`,
        ]
      : []),
    ...(auth
      ? [
          `- API keys and rate limits, the same rounds against the same build with AUTH=off: with them ${list(auth.secured.runs)} req/s ` +
            `(${list(auth.securedPerCpuSecond.runs)} per API CPU-second); AUTH=off ${list(auth.open.runs)} req/s (${list(auth.openPerCpuSecond.runs)} per API CPU-second). ` +
            `One POST at a time, ${settings.authCost.samples} per side in ${settings.authCost.blocks} alternating blocks ` +
            `after ${settings.authCost.warmup} warm-up, p50/p90/p99 in ms: with them ${percentiles(auth.securedRoundTrips)}; AUTH=off ${percentiles(auth.openRoundTrips)}.`,
        ]
      : []),
    ...(throughput
      ? [
          `- Warm throughput, ${settings.throughput.tasks} tasks × ${settings.throughput.repetitions} after ${settings.throughput.warmupTasks} warm-up, worker concurrency ${settings.throughput.workerConcurrency}, ` +
            `${settings.throughput.submitConcurrency} POSTs in flight: ours ${list(throughput.ours.runs)} tasks/s; raw ${list(throughput.raw.runs)} jobs/s. ` +
            `Bare Express + no-op worker, same client: ${list(throughput.bareEndToEnd.runs)} tasks/s; the floor of our guarantees (a bare front admitting each task ` +
            `with TaskBacklog.admit and adding a job with our options; the guarantees floor's worker), same client: ${list(throughput.guaranteesEndToEnd.runs.runs)} tasks/s. ` +
            `Workers alone (${settings.throughput.tasks} tasks queued while the queue was paused, timed from resume): ours ${list(throughput.drain.ours.runs)} tasks/s; ` +
            `no-op ${list(throughput.drain.raw.runs)} jobs/s; no-op with our jobs' options (the floor: our ids, fair priorities, deduplication ids, retries, ` +
            `retention by age and count, our job data; on a queue of its own holding as many completed jobs as ours) ${list(throughput.drain.floor.runs.runs)} jobs/s; ` +
            `the same also writing what our guarantees write per task (the floor of the guarantees: through our RedisBatch, one guarded command with the cancel flag and ` +
            `the deleted-version check, the answer cached, the task out of its backlog, STARTED and SUCCESS in its log and its tenant's feed) ${list(throughput.drain.guarantees.runs.runs)} jobs/s.`,
        ]
      : []),
    ...(latency
      ? [
          `- Idle latency, ${settings.latency.samples} samples per way in ${settings.latency.blocks} alternating blocks after ${settings.latency.warmup} warm-up, ` +
            `p50/p90/p99 in ms: raw ${percentiles(latency.raw)}; polling ${percentiles(latency.polled)}; Prefer: wait ${percentiles(latency.waited)}.`,
          `  Polling: POST round trip ${latency.polling.submitMs.toFixed(2)} ms, GET round trip ${latency.polling.pollRoundTripMs.toFixed(2)} ms, ` +
            `${latency.polling.pollsPerTask} GETs per task (mean ${latency.polling.meanPolls.toFixed(2)}); ${breakdown(latency.polling.breakdown)}; ${cpuPerTask(latency.polling.cpu)}.`,
          `  Prefer: wait: ${breakdown(latency.waiting.breakdown)}; ${cpuPerTask(latency.waiting.cpu)}. SUCCESS answers without finished_at or result: ${latency.incompleteSuccessReads} ` +
            `of ${latency.polled.length + latency.waited.length}.`,
          `  The floor (bare Express: queue.add, getJobState, waitUntilFinished; the no-op worker): polling ${percentiles(latency.floor.polled)}, ` +
            `GETs per task (mean) ${latency.floor.meanPolls.toFixed(2)}, ${cpuPerTask(latency.floor.cpu.polled, 'front')}; ` +
            `Prefer: wait ${percentiles(latency.floor.waited)}, ${cpuPerTask(latency.floor.cpu.waited, 'front')}.`,
          `  The floor of our guarantees (that front admitting each task with TaskBacklog.admit and adding a job with our options; the guarantees floor's worker): ` +
            `polling ${percentiles(latency.guaranteesFloor.polled)}, GETs per task (mean) ${latency.guaranteesFloor.meanPolls.toFixed(2)}, ` +
            `${cpuPerTask(latency.guaranteesFloor.cpu.polled, 'front')}; Prefer: wait ${percentiles(latency.guaranteesFloor.waited)}, ${cpuPerTask(latency.guaranteesFloor.cpu.waited, 'front')}.`,
        ]
      : []),
    ...(lateAnswers
      ? [
          `- Late answers: ${lateAnswers.preferWait.samples} POSTs with Prefer: wait, then ${lateAnswers.getWait.samples} POSTs each followed by GET ?wait, ` +
            `${settings.lateAnswers.concurrency} in flight; from the task's finished_at to the answer in the client's hands: ` +
            `Prefer: wait ${lateAnswers.preferWait.late} over ${lateAnswers.lateMs} ms, at most ${lateAnswers.preferWait.maxMs} ms; ` +
            `GET ?wait ${lateAnswers.getWait.late} over ${lateAnswers.lateMs} ms, at most ${lateAnswers.getWait.maxMs} ms. ` +
            `Asked for after the task's finished_at (the delay then holds the client's own request on its way to the API), of all answers and of the late: ` +
            `Prefer: wait ${lateAnswers.preferWait.askedAfterFinish.all} and ${lateAnswers.preferWait.askedAfterFinish.late}, ` +
            `GET ?wait ${lateAnswers.getWait.askedAfterFinish.all} and ${lateAnswers.getWait.askedAfterFinish.late}.`,
        ]
      : []),
    ...(cacheHits
      ? [
          `- Cache hits, ${settings.cacheHits.rounds} paired rounds of ${settings.cacheHits.seconds} s, autocannon ${settings.cacheHits.connections} connections: ` +
            `ours ${list(cacheHits.ours.runs)} answers/s; plain Express ${list(cacheHits.plain.runs)} answers/s; ` +
            `plain Express + one Redis round trip (the floor) ${list(cacheHits.floor.runs)} answers/s.`,
        ]
      : []),
    ...(batch
      ? [
          `- Batch predictions: a stored iris-shaped dataset of ${batch.rows} rows, ${settings.batch.repetitions} runs, scored by ${batch.workers} worker processes ` +
            `serving batch and batch-chunks (default chunks of 10,000 rows, 2 at a time per worker), from the POST to the client holding the finished task: ` +
            `${list(batch.rowsPerSecond.runs)} rows/s; peak RSS of each worker ${batch.peakRssBytes.map(mb).join(' and ')} MB.`,
        ]
      : []),
    ...(redisWork
      ? [
          `- Redis work, on the bench's private redis-server (CONFIG RESETSTAT, then INFO commandstats and INFO cpu after ${redisWork.tasks} tasks, ` +
            `${settings.throughput.submitConcurrency} in flight): ours ${redisWork.ours.commands.toFixed(1)} commands and ${redisWork.ours.cpuMicros.toFixed(0)} µs per task ` +
            `(${perTask(redisWork.ours.top)}); raw ${redisWork.raw.commands.toFixed(1)} commands and ${redisWork.raw.cpuMicros.toFixed(0)} µs (${perTask(redisWork.raw.top)}); ` +
            `the floor of our guarantees (our admission, queue.add of a job with our options, the guarantees floor's worker) ${redisWork.floor.commands.toFixed(1)} commands and ${redisWork.floor.cpuMicros.toFixed(0)} µs (${perTask(redisWork.floor.top)}). ` +
            `Reading a finished task back (GET /v1/tasks/{id}): ${redisWork.read.commands.toFixed(1)} commands and ${redisWork.read.cpuMicros.toFixed(0)} µs (${perTask(redisWork.read.top)}).`,
        ]
      : []),
    ...(workerRss
      ? [
          `- Worker RSS (its process tree): ${mb(workerRss.atStart)} MB when ready, ${mb(workerRss.afterTraining)} MB after training ` +
            `${models} models, ${mb(workerRss.afterLoading)} MB after serving one prediction from each (the figure judged), ` +
            `${mb(workerRss.afterThroughput)} MB after the throughput runs. A predict-only worker (WORKER_QUEUES=predict) after serving one ` +
            `prediction of each model itself: ${mb(workerRss.predictOnly)} MB.`,
        ]
      : []),
    `- API and worker ran with LOG_LEVEL=${settings.logLevel}.`,
  ];
}

/** Replaces the generated part of the document, keeping everything written around it. */
export async function writeFigures(path: string, figures: string, title: string): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => `# ${title}\n\n${begin}\n${end}\n`);
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${path} has no ${begin} … ${end} section to replace`);
  await writeFile(path, current.slice(0, from) + figures + current.slice(to + end.length));
}
