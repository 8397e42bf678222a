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
  /** The bare server admitting each task by our admission command first (the floor of our guarantees). */
  floor: Repeated;
  /** floor / bare: what the admission costs alone. */
  floorCost: Repeated;
  /** ours / floor: what the guarantees leave. */
  floorRatio: Repeated;
  /** Each server process' own CPU time per request (ms): what it does per request, whatever else shares the cores. */
  oursCpuMs: Repeated;
  bareCpuMs: Repeated;
  floorCpuMs: Repeated;
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

/** One server's rounds under load, with its highest RSS seen meanwhile. */
export interface Side {
  rounds: Round[];
  peakRssBytes: number;
}

const rates = (side: Side) => side.rounds.map((round) => round.okPerSecond);
const cpuMs = (side: Side) => repeated(side.rounds.map((round) => round.cpuMsPerRequest));

/**
 * Requests/s of POST /v1/predict, ours vs the bare Express server and vs the floor (the bare server
 * admitting each task first), with identical autocannon settings and bodies and no worker draining.
 * Rounds alternate so a slow patch of the machine hits all three.
 */
export async function measureSubmitPath(ours: SubmitTarget, bare: SubmitTarget, floor: SubmitTarget, options: SubmitOptions): Promise<SubmitFigures> {
  const oursIdleRssBytes = ours.rssBytes();
  const [bareSide, floorSide, oursSide] = await alternatingRounds([bare, floor, ours] as const, options);
  return {
    ours: repeated(rates(oursSide)),
    bare: repeated(rates(bareSide)),
    ratio: pairedRatios(rates(oursSide), rates(bareSide)),
    floor: repeated(rates(floorSide)),
    floorCost: pairedRatios(rates(floorSide), rates(bareSide)),
    floorRatio: pairedRatios(rates(oursSide), rates(floorSide)),
    oursCpuMs: cpuMs(oursSide),
    bareCpuMs: cpuMs(bareSide),
    floorCpuMs: cpuMs(floorSide),
    oursPeakRssBytes: oursSide.peakRssBytes,
    barePeakRssBytes: bareSide.peakRssBytes,
    oursIdleRssBytes,
  };
}

/** Rounds of load that take the targets in turn, every round in the same order, so a drift of the machine hits all alike. */
export async function alternatingRounds<T extends readonly SubmitTarget[]>(targets: T, options: SubmitOptions): Promise<{ [K in keyof T]: Side }> {
  const sides = targets.map((): Side => ({ rounds: [], peakRssBytes: 0 })) as { [K in keyof T]: Side };
  for (let round = 0; round < options.rounds; round++) {
    for (const [i, target] of targets.entries()) {
      const side = sides[i]!;
      side.rounds.push(await loadOnce(target, options, (rss) => (side.peakRssBytes = Math.max(side.peakRssBytes, rss))));
    }
  }
  return sides;
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
