import { postLoad } from '../support/load.js';
import { pairedRatios, repeated, type Repeated } from '../support/stats.js';

export interface SubmitTarget {
  url: string;
  /** Sent with every request: the API key, for one. */
  headers?: Record<string, string>;
  /** Empties its predict queue between rounds, so each round starts from the same Redis state. */
  reset(): Promise<void>;
  rssBytes(): number;
  /** CPU seconds the server process has used so far. */
  cpuSeconds(): number;
}

export interface SubmitOptions {
  /** The same body source for both servers. */
  body: () => unknown;
  connections: number;
  warmupSeconds: number;
  measureSeconds: number;
  rounds: number;
  sampleHz: number;
}

export interface SubmitFigures {
  /** 2xx requests/s per round. */
  ours: Repeated;
  bare: Repeated;
  /** ours / bare, round by round. */
  ratio: Repeated;
  /** Each server process' own CPU time per request (ms): what it does per request, whatever else shares the cores. */
  oursCpuMs: Repeated;
  bareCpuMs: Repeated;
  /** Highest RSS of each server seen while it was under load, and ours before the first round. */
  oursPeakRssBytes: number;
  barePeakRssBytes: number;
  oursIdleRssBytes: number;
}

/** One measured round: requests/s, and the server's CPU time per request (ms). */
export interface Round {
  okPerSecond: number;
  cpuMsPerRequest: number;
}

/** Rounds of two servers under the same load, `first` then `second` each round, with each one's peak RSS. */
export interface PairedRounds {
  first: Round[];
  second: Round[];
  firstPeakRssBytes: number;
  secondPeakRssBytes: number;
}

/**
 * Requests/s of POST /v1/predict, ours vs the bare Express server, with identical autocannon
 * settings and bodies and no worker draining. Rounds alternate so a slow patch of the machine hits both.
 */
export async function measureSubmitPath(ours: SubmitTarget, bare: SubmitTarget, options: SubmitOptions): Promise<SubmitFigures> {
  const oursIdleRssBytes = ours.rssBytes();
  const rounds = await pairedRounds(bare, ours, options);
  const [oursRuns, bareRuns] = [rounds.second.map((round) => round.okPerSecond), rounds.first.map((round) => round.okPerSecond)];
  return {
    ours: repeated(oursRuns),
    bare: repeated(bareRuns),
    ratio: pairedRatios(oursRuns, bareRuns),
    oursCpuMs: repeated(rounds.second.map((round) => round.cpuMsPerRequest)),
    bareCpuMs: repeated(rounds.first.map((round) => round.cpuMsPerRequest)),
    oursPeakRssBytes: rounds.secondPeakRssBytes,
    barePeakRssBytes: rounds.firstPeakRssBytes,
    oursIdleRssBytes,
  };
}

/** Alternating rounds of load, first then second, so a drift of the machine hits both alike. */
export async function pairedRounds(first: SubmitTarget, second: SubmitTarget, options: SubmitOptions): Promise<PairedRounds> {
  const rounds: PairedRounds = { first: [], second: [], firstPeakRssBytes: 0, secondPeakRssBytes: 0 };
  for (let round = 0; round < options.rounds; round++) {
    rounds.first.push(await loadOnce(first, options, (rss) => (rounds.firstPeakRssBytes = Math.max(rounds.firstPeakRssBytes, rss))));
    rounds.second.push(await loadOnce(second, options, (rss) => (rounds.secondPeakRssBytes = Math.max(rounds.secondPeakRssBytes, rss))));
  }
  return rounds;
}

/** One round: reset, warm up, measure; the target's RSS is sampled all along. */
async function loadOnce(target: SubmitTarget, options: SubmitOptions, onRss: (bytes: number) => void): Promise<Round> {
  const sampler = setInterval(() => onRss(target.rssBytes()), 1000 / options.sampleHz);
  try {
    return await warmThenMeasure(target, options);
  } finally {
    clearInterval(sampler);
  }
}

async function warmThenMeasure(target: SubmitTarget, options: SubmitOptions): Promise<Round> {
  await target.reset();
  const load = { url: `${target.url}/v1/predict`, headers: target.headers, body: options.body, connections: options.connections };
  await postLoad({ ...load, seconds: options.warmupSeconds });
  const cpuBefore = target.cpuSeconds();
  const result = await postLoad({ ...load, seconds: options.measureSeconds });
  const cpuMsPerRequest = ((target.cpuSeconds() - cpuBefore) * 1000) / result.ok;
  if (result.non2xx || result.errors) {
    throw new Error(`${target.url}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
  }
  return { okPerSecond: result.okPerSecond, cpuMsPerRequest };
}
