import { performance } from 'node:perf_hooks';
import { JsonClient } from '../support/http.js';
import { pairedRatios, repeated, type Repeated } from '../support/stats.js';
import { alternatingRounds, type Side, type SubmitOptions, type SubmitTarget } from './submit-path.js';

export interface AuthCostOptions extends SubmitOptions {
  /** Submits one at a time per side, after `warmup` unmeasured ones, in `blocks` alternating blocks. */
  samples: number;
  warmup: number;
  blocks: number;
}

/** What API keys and rate limits cost the submit path, against the same build with AUTH=off. */
export interface AuthCostFigures {
  /** 2xx requests/s per round under autocannon load. */
  secured: Repeated;
  open: Repeated;
  /** secured / open, round by round. */
  ratio: Repeated;
  /**
   * Requests per second of the API process' own CPU time, per round: the throughput each API would
   * reach with a core to itself. The client and Redis share the machine's cores with it, so raw
   * requests/s also move with their load (and with anything else running); this does not.
   */
  securedPerCpuSecond: Repeated;
  openPerCpuSecond: Repeated;
  perCpuRatio: Repeated;
  /** One POST at a time, its round trip in ms: every sample, per side. */
  securedRoundTrips: number[];
  openRoundTrips: number[];
}

/**
 * The same build twice on one prefix: with API keys (the key verified, cached, its request budget
 * counted in Redis) and with AUTH=off. Throughput under load in alternating rounds, then the round
 * trip of one POST /v1/predict at a time in alternating blocks.
 */
export async function measureAuthCost(secured: SubmitTarget, open: SubmitTarget, options: AuthCostOptions): Promise<AuthCostFigures> {
  const [openSide, securedSide] = await alternatingRounds([open, secured] as const, options);
  const securedRoundTrips: number[] = [];
  const openRoundTrips: number[] = [];
  const clients = [new JsonClient(secured.url, secured.headers, 1), new JsonClient(open.url, open.headers, 1)] as const;
  try {
    const perBlock = Math.ceil(options.samples / options.blocks);
    for (let block = 0; block < options.blocks; block++) {
      const warmup = block === 0 ? options.warmup : 0;
      openRoundTrips.push(...(await roundTrips(clients[1], options.body, warmup, perBlock)));
      securedRoundTrips.push(...(await roundTrips(clients[0], options.body, warmup, perBlock)));
    }
  } finally {
    clients.forEach((client) => client.close());
  }
  const rate = (side: Side) => side.rounds.map((round) => round.okPerSecond);
  const perCpu = (side: Side) => side.rounds.map((round) => 1000 / round.cpuMsPerRequest);
  return {
    secured: repeated(rate(securedSide)),
    open: repeated(rate(openSide)),
    ratio: pairedRatios(rate(securedSide), rate(openSide)),
    securedPerCpuSecond: repeated(perCpu(securedSide)),
    openPerCpuSecond: repeated(perCpu(openSide)),
    perCpuRatio: pairedRatios(perCpu(securedSide), perCpu(openSide)),
    securedRoundTrips,
    openRoundTrips,
  };
}

/** Sequential submits on one keep-alive connection; the round trip of each after the warm-up, ms. */
async function roundTrips(client: JsonClient, body: () => unknown, warmup: number, samples: number): Promise<number[]> {
  const kept: number[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    const started = performance.now();
    const response = await client.post('/v1/predict', body());
    const elapsed = performance.now() - started;
    if (response.status !== 202) throw new Error(`${client.baseUrl}: POST /v1/predict answered ${response.status}: ${JSON.stringify(response.body)}`);
    if (i >= warmup) kept.push(elapsed);
  }
  return kept;
}
