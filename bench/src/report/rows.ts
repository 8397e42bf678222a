import type { Machine } from '../support/machine.js';
import { percentile, type Repeated } from '../support/stats.js';
import type { LatencyFigures } from '../scenarios/idle-latency.js';
import type { SubmitFigures } from '../scenarios/submit-path.js';
import type { ThroughputFigures } from '../scenarios/warm-throughput.js';

export interface BenchResults {
  machine: Machine;
  startedAt: Date;
  durationSeconds: number;
  /** 1-minute load average when the run ended (the start's is in machine). */
  loadAverageAtEnd: number;
  submit: SubmitFigures;
  throughput: ThroughputFigures;
  latency: LatencyFigures;
  /** Worker RSS (process tree) when ready, after training the models, and after loading each once. */
  workerRss: { atStart: number; afterTraining: number; afterLoading: number };
  models: number;
}

/** One line of the table: a figure next to the ceiling it is judged against. */
export interface Row {
  figure: string;
  ours: string;
  ceiling: string;
  comparison: string;
  target: string;
  met: boolean | null;
}

const mb = (bytes: number) => bytes / 2 ** 20;
const fixed = (value: number, digits = 0) => value.toFixed(digits);
/** "1234 (1200–1250)": the median and the range over repetitions. */
const spread = ({ median, min, max }: Repeated, digits = 0) => `${fixed(median, digits)} (${fixed(min, digits)}–${fixed(max, digits)})`;

export function rows(results: BenchResults): Row[] {
  const { submit, throughput, latency } = results;
  const p50 = { ours: percentile(latency.ours, 50), raw: percentile(latency.raw, 50) };
  const p99 = { ours: percentile(latency.ours, 99), raw: percentile(latency.raw, 99) };
  const workerMb = mb(results.workerRss.afterLoading);
  const apiMb = mb(submit.oursPeakRssBytes);
  return [
    {
      figure: 'Submit path, POST /v1/predict (req/s)',
      ours: spread(submit.ours),
      ceiling: `${spread(submit.bare)} bare Express + queue.add`,
      comparison: `${spread(submit.ratio, 2)}×`,
      target: '≥ 0.90×',
      met: submit.ratio.median >= 0.9,
    },
    {
      figure: 'Warm predict throughput, end to end (tasks/s)',
      ours: spread(throughput.ours),
      ceiling: `${spread(throughput.raw)} addBulk + no-op Worker`,
      comparison: `${spread(throughput.ratio, 2)}×`,
      target: '≥ 0.70×',
      met: throughput.ratio.median >= 0.7,
    },
    {
      figure: 'Idle latency submit→SUCCESS p50 (ms)',
      ours: fixed(p50.ours, 2),
      ceiling: `${fixed(p50.raw, 2)} add → no-op → completed`,
      comparison: `+${fixed(p50.ours - p50.raw, 2)} ms`,
      target: '≤ +2 ms',
      met: p50.ours <= p50.raw + 2,
    },
    {
      figure: 'Idle latency submit→SUCCESS p99 (ms)',
      ours: fixed(p99.ours, 2),
      ceiling: `${fixed(p99.raw, 2)} add → no-op → completed`,
      comparison: `+${fixed(p99.ours - p99.raw, 2)} ms`,
      target: '—',
      met: null,
    },
    {
      figure: `Worker RSS after loading ${results.models} models (MB)`,
      ours: fixed(workerMb),
      ceiling: '250 MB',
      comparison: `${fixed(workerMb / 250, 2)}×`,
      target: '≤ 1.00×',
      met: workerMb <= 250,
    },
    {
      figure: 'API peak RSS under submit load (MB)',
      ours: fixed(apiMb),
      ceiling: '150 MB',
      comparison: `${fixed(apiMb / 150, 2)}×`,
      target: '≤ 1.00×',
      met: apiMb <= 150,
    },
  ];
}
