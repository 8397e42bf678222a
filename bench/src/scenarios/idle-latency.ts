import { performance } from 'node:perf_hooks';
import type { TaskResource } from '@trainyard/shared/tasks';
import type { BareTaskServer } from '../ceilings/bare-task.js';
import type { RawBullmq } from '../ceilings/raw-bullmq.js';
import { predictBody } from '../settings.js';
import { JsonClient } from '../support/http.js';
import { median } from '../support/stats.js';
import { getTask, submitTask } from '../trainyard/tasks.js';
import type { TrainyardStack } from '../trainyard/stack.js';

export interface LatencyOptions {
  model: string;
  warmup: number;
  samples: number;
  /** Samples are taken in this many alternating blocks (raw, the floor's two ways, ours', raw, …) so drift hits all alike. */
  blocks: number;
}

/** Where our time goes, medians in ms; the last three from the task's own timestamps (ms resolution). */
export interface LatencyBreakdown {
  /** created_at → started_at: from the API's queue.add to a worker taking the job. */
  queued: number;
  /** started_at → finished_at: the worker's processing, bookkeeping included. */
  running: number;
  /** finished_at → the client holding an answer that reads SUCCESS. */
  observed: number;
}

/** CPU per task of the two processes (ours: API and worker; the floor's: its front and the no-op worker) over one way's samples, µs (/proc ticks of 10 ms over all samples). */
export interface LatencyCpu {
  api: number;
  worker: number;
}

/** The same client, polling and waiting, against the bare HTTP front in front of the no-op worker (BareTaskServer). */
export interface LatencyFloor {
  polled: number[];
  waited: number[];
  /** Mean GETs per polled task. */
  meanPolls: number;
  cpu: { polled: LatencyCpu; waited: LatencyCpu };
}

export interface LatencyFigures {
  /** queue.add → completed event (job.waitUntilFinished), ms. */
  raw: number[];
  /** POST, then GET back to back (no sleep) until one reads SUCCESS, ms. */
  polled: number[];
  /** One POST with `Prefer: wait=N`: the API answers once the task has finished, ms. */
  waited: number[];
  polling: {
    /** Median POST round trip. */
    submitMs: number;
    /** Median GET round trip: how late, at most, polling sees the SUCCESS. */
    pollRoundTripMs: number;
    pollsPerTask: number;
    /** Mean GETs per task: how often the first poll came too early, beside the median. */
    meanPolls: number;
    breakdown: LatencyBreakdown;
    cpu: LatencyCpu;
  };
  waiting: { breakdown: LatencyBreakdown; cpu: LatencyCpu };
  /** SUCCESS answers that lacked finished_at or result: the API read the job while it was completing. */
  incompleteSuccessReads: number;
  floor: LatencyFloor;
  /** The same against the floor of our guarantees: a bare front that admits and queues as ours, and the guarantees floor's worker. */
  guaranteesFloor: LatencyFloor;
}

/** A floor's HTTP front and the worker that runs its jobs. */
export interface FloorPair {
  front: BareTaskServer;
  worker: RawBullmq;
}

const perTaskTimeoutMs = 10_000;
const waitSeconds = 10;

interface Sample {
  latencyMs: number;
  task: TaskResource;
  /** Date.now() when the SUCCESS answer arrived, to compare with the task's own timestamps. */
  seenAt: number;
}

type PolledSample = Sample & { submitMs: number; lastPollMs: number; polls: number };

/** Where a process' CPU seconds are read: our API and worker, or the floor's front and the no-op worker. */
interface CpuReaders {
  api: () => number;
  worker: () => number;
}

/**
 * One task at a time on an idle, warm system, against raw BullMQ. Ours is observed two ways a
 * client can: polling (POST, then GET back to back, so polling adds at most one GET round trip,
 * which is measured too) and waiting (one POST with `Prefer: wait`). The same client follows the
 * floors both ways too: a bare HTTP front of the no-op worker's queue (what an HTTP front alone adds
 * to raw), and `guarantees` (what our guarantees' Redis work adds to that).
 */
export async function measureIdleLatency(stack: TrainyardStack, raw: RawBullmq, floor: BareTaskServer, guarantees: FloorPair, options: LatencyOptions): Promise<LatencyFigures> {
  const perBlock = Math.ceil(options.samples / options.blocks);
  const rawSamples: number[] = [];
  const polled: PolledSample[] = [];
  const waited: Sample[] = [];
  const cpu = { polled: { api: 0, worker: 0 }, waited: { api: 0, worker: 0 } };
  const ours: CpuReaders = { api: () => stack.apiCpuSeconds(), worker: () => stack.workerCpuSeconds() };
  // Every client gets the API key: the same bytes on the wire, and ours needs it.
  const floors = [
    { front: floor, worker: raw },
    { front: guarantees.front, worker: guarantees.worker },
  ].map(({ front, worker }) => ({
    client: new JsonClient(front.url, stack.authHeaders),
    readers: { api: () => front.cpuSeconds(), worker: () => worker.workerCpuSeconds() } satisfies CpuReaders,
    polled: [] as PolledSample[],
    waited: [] as Sample[],
    cpu: { polled: { api: 0, worker: 0 }, waited: { api: 0, worker: 0 } },
  }));
  // Each process's CPU over a block's samples, warm-up left out; on this machine CPU explains much of the figure.
  const metered = async <T>(readers: CpuReaders, into: LatencyCpu, warmup: number, once: () => Promise<T>): Promise<T[]> => {
    if (warmup) await repeat(warmup, 0, once);
    const before = { api: readers.api(), worker: readers.worker() };
    const samples = await repeat(0, perBlock, once);
    into.api += (readers.api() - before.api) * 1e6;
    into.worker += (readers.worker() - before.worker) * 1e6;
    return samples;
  };
  try {
    for (let block = 0; block < options.blocks; block++) {
      const warmup = block === 0 ? options.warmup : 0;
      rawSamples.push(...(await raw.latencies(warmup, perBlock)));
      for (const floor of floors) {
        floor.polled.push(...(await metered(floor.readers, floor.cpu.polled, warmup, () => pollOnce(floor.client, options.model))));
        floor.waited.push(...(await metered(floor.readers, floor.cpu.waited, warmup, () => waitOnce(floor.client, options.model))));
      }
      polled.push(...(await metered(ours, cpu.polled, warmup, () => pollOnce(stack.client, options.model))));
      waited.push(...(await metered(ours, cpu.waited, warmup, () => waitOnce(stack.client, options.model))));
    }
  } finally {
    for (const floor of floors) floor.client.close();
  }
  const perTask = ({ api, worker }: LatencyCpu, count: number): LatencyCpu => ({ api: api / count, worker: worker / count });
  const complete = (samples: Sample[]) => samples.filter(({ task }) => task.finished_at && task.started_at && task.result !== null);
  const meanPolls = (samples: PolledSample[]) => samples.reduce((sum, sample) => sum + sample.polls, 0) / samples.length;
  const [bareFront, guaranteesFloor] = floors.map(
    (floor): LatencyFloor => ({
      polled: floor.polled.map((sample) => sample.latencyMs),
      waited: floor.waited.map((sample) => sample.latencyMs),
      meanPolls: meanPolls(floor.polled),
      cpu: { polled: perTask(floor.cpu.polled, floor.polled.length), waited: perTask(floor.cpu.waited, floor.waited.length) },
    }),
  );
  return {
    raw: rawSamples,
    polled: polled.map((sample) => sample.latencyMs),
    waited: waited.map((sample) => sample.latencyMs),
    polling: {
      submitMs: median(polled.map((sample) => sample.submitMs)),
      pollRoundTripMs: median(polled.map((sample) => sample.lastPollMs)),
      pollsPerTask: median(polled.map((sample) => sample.polls)),
      meanPolls: meanPolls(polled),
      breakdown: breakdownOf(complete(polled)),
      cpu: perTask(cpu.polled, polled.length),
    },
    waiting: { breakdown: breakdownOf(complete(waited)), cpu: perTask(cpu.waited, waited.length) },
    incompleteSuccessReads: polled.length + waited.length - complete(polled).length - complete(waited).length,
    floor: bareFront!,
    guaranteesFloor: guaranteesFloor!,
  };
}

async function repeat<T>(warmup: number, samples: number, once: () => Promise<T>): Promise<T[]> {
  const kept: T[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    const sample = await once();
    if (i >= warmup) kept.push(sample);
  }
  return kept;
}

async function pollOnce(client: JsonClient, model: string): Promise<PolledSample> {
  const started = performance.now();
  const taskId = await submitTask(client, '/v1/predict', predictBody(model));
  const submitMs = performance.now() - started;
  for (let polls = 1; performance.now() - started < perTaskTimeoutMs; polls++) {
    const pollStarted = performance.now();
    const task = await getTask(client, taskId);
    const now = performance.now();
    if (task.status === 'SUCCESS') {
      return { latencyMs: now - started, task, seenAt: Date.now(), submitMs, lastPollMs: now - pollStarted, polls };
    }
    if (task.status === 'FAILURE') throw new Error(`predict task ${taskId} failed: ${JSON.stringify(task.error)}`);
  }
  throw new Error(`predict task not done after ${perTaskTimeoutMs} ms`);
}

async function waitOnce(client: JsonClient, model: string): Promise<Sample> {
  const started = performance.now();
  const response = await client.post<TaskResource>('/v1/predict', predictBody(model), { prefer: `wait=${waitSeconds}` });
  const latencyMs = performance.now() - started;
  if (response.status !== 200 || response.body.status !== 'SUCCESS') {
    throw new Error(`POST /v1/predict with Prefer: wait answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return { latencyMs, task: response.body, seenAt: Date.now() };
}

function breakdownOf(samples: Sample[]): LatencyBreakdown {
  if (samples.length === 0) return { queued: NaN, running: NaN, observed: NaN };
  const at = (iso: string | null) => Date.parse(iso!);
  return {
    queued: median(samples.map(({ task }) => at(task.started_at) - at(task.created_at))),
    running: median(samples.map(({ task }) => at(task.finished_at) - at(task.started_at))),
    observed: median(samples.map(({ task, seenAt }) => seenAt - at(task.finished_at))),
  };
}
