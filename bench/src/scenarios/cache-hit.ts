import { PlainExpressServer } from '../ceilings/plain-express.js';
import { predictBody } from '../settings.js';
import { postLoad } from '../support/load.js';
import { pairedRatios, repeated, type Repeated } from '../support/stats.js';
import { awaitSuccess, submitTask } from '../trainyard/tasks.js';
import type { TrainyardStack } from '../trainyard/stack.js';

export interface CacheHitOptions {
  model: string;
  /** The bench's Redis, where the floor keeps its answers. */
  redisUrl: string;
  connections: number;
  seconds: number;
  rounds: number;
  timeoutMs: number;
}

export interface CacheHitFigures {
  /** 200 answers/s of POST /v1/predict for a fully cached row. */
  ours: Repeated;
  /** Plain Express answering the same body from memory. */
  plain: Repeated;
  ratio: Repeated;
  /** Plain Express keeping each answer in Redis in one command (our lookup-and-keep Lua) before it answers. */
  floor: Repeated;
  /** floor / plain: what keeping the hit's task costs alone. */
  floorCost: Repeated;
  /** ours / floor: what the guarantee leaves. */
  floorRatio: Repeated;
}

/**
 * Cache hits under load against plain Express 5 answering the body our hit answers, and against the
 * same server keeping each answer in Redis first (the floor), in rounds of plain, floor, then ours.
 * The row is predicted once through the queue first, so every request of the rounds is a full hit.
 */
export async function measureCacheHits(stack: TrainyardStack, options: CacheHitOptions): Promise<CacheHitFigures> {
  const cached = predictBody(options.model);
  await awaitSuccess(stack.client, await submitTask(stack.client, '/v1/predict', cached), options.timeoutMs, 5);
  const answer = await stack.client.post('/v1/predict', cached);
  if (answer.status !== 200) throw new Error(`a cached prediction answered ${answer.status}`);
  const plain = await PlainExpressServer.start(JSON.stringify(answer.body), options.timeoutMs);
  const floor = await PlainExpressServer.start(JSON.stringify(answer.body), options.timeoutMs, options.redisUrl).catch(async (error: unknown) => {
    await plain.stop();
    throw error;
  });
  const oursRuns: number[] = [];
  const plainRuns: number[] = [];
  const floorRuns: number[] = [];
  try {
    const round = async (url: string) => {
      // Both get the API key: the same bytes on the wire, and ours needs it.
      const load = { url: `${url}/v1/predict`, headers: stack.authHeaders, body: () => cached, connections: options.connections, seconds: options.seconds };
      const result = await postLoad(load);
      if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
      return result.okPerSecond;
    };
    for (let i = 0; i < options.rounds; i++) {
      plainRuns.push(await round(plain.url));
      floorRuns.push(await round(floor.url));
      oursRuns.push(await round(stack.url));
    }
  } finally {
    await Promise.all([plain.stop(), floor.stop()]);
  }
  return {
    ours: repeated(oursRuns),
    plain: repeated(plainRuns),
    ratio: pairedRatios(oursRuns, plainRuns),
    floor: repeated(floorRuns),
    floorCost: pairedRatios(floorRuns, plainRuns),
    floorRatio: pairedRatios(oursRuns, floorRuns),
  };
}
