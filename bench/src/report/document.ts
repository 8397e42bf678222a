import { readFile, writeFile } from 'node:fs/promises';
import { settings } from '../settings.js';
import { percentile } from '../support/stats.js';
import { markdownTable } from './table.js';
import type { BenchResults, Row } from './rows.js';

const begin = '<!-- bench:begin (written by npm run bench; edit outside these markers) -->';
const end = '<!-- bench:end -->';

const list = (values: number[], digits = 0) => values.map((value) => value.toFixed(digits)).join(', ');

/** The generated part of docs/benchmarks.md: machine, settings, the table and every raw run. */
export function renderFigures(results: BenchResults, table: readonly Row[]): string {
  const { machine, submit, throughput, latency } = results;
  return [
    begin,
    `Last run: ${results.startedAt.toISOString()}, ${results.durationSeconds.toFixed(0)} s in all.`,
    '',
    `Machine: ${machine.cores} cores (nproc), ${machine.cpu}, Node ${machine.node}, Redis ${machine.redis}; ` +
      `load average ${machine.loadAverage.toFixed(2)} at the start, ${results.loadAverageAtEnd.toFixed(2)} at the end ` +
      '(the bench itself adds about 1.5; much more means other work shared the cores).',
    '',
    markdownTable(table),
    '',
    'Figures are medians, with (min–max) over repetitions. Each repetition measures the ceiling and then ours back to back;',
    'a ratio is the median of the per-repetition ratios, so a slow patch of the machine cancels out. Every run:',
    '',
    `- Submit path, ${settings.submit.rounds} rounds of ${settings.submit.measureSeconds} s after ${settings.submit.warmupSeconds} s warm-up, ` +
      `autocannon ${settings.submit.connections} connections: ours ${list(submit.ours.runs)} req/s; bare ${list(submit.bare.runs)} req/s.`,
    `- Warm throughput, ${settings.throughput.tasks} tasks × ${settings.throughput.repetitions} after ${settings.throughput.warmupTasks} warm-up, worker concurrency ${settings.throughput.workerConcurrency}, ` +
      `${settings.throughput.submitConcurrency} POSTs in flight: ours ${list(throughput.ours.runs)} tasks/s; raw ${list(throughput.raw.runs)} jobs/s.`,
    `- Idle latency, ${settings.latency.samples} samples in ${settings.latency.blocks} alternating blocks after ${settings.latency.warmup} warm-up: ours p50/p90/p99 ` +
      `${[50, 90, 99].map((p) => percentile(latency.ours, p).toFixed(2)).join(' / ')} ms; raw ` +
      `${[50, 90, 99].map((p) => percentile(latency.raw, p).toFixed(2)).join(' / ')} ms. ` +
      `Polling: median GET round trip ${latency.pollRoundTripMs.toFixed(2)} ms, ${latency.pollsPerTask} GETs per task.`,
    `- API and worker ran with LOG_LEVEL=${settings.logLevel}.`,
    end,
  ].join('\n');
}

/** Replaces the generated part of the document, keeping everything written around it. */
export async function writeFigures(path: string, figures: string, title: string): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => `# ${title}\n\n${begin}\n${end}\n`);
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${path} has no ${begin} … ${end} section to replace`);
  await writeFile(path, current.slice(0, from) + figures + current.slice(to + end.length));
}
