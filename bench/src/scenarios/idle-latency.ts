import { performance } from 'node:perf_hooks';
import type { TaskResource } from '@trainyard/shared/task-resource';
import type { RawBullmq } from '../ceilings/raw-bullmq.js';
import { predictBody } from '../settings.js';
import { median } from '../support/stats.js';
import { getTask, submitTask } from '../trainyard/tasks.js';
import type { TrainyardStack } from '../trainyard/stack.js';

export interface LatencyOptions {
  model: string;
  warmup: number;
  samples: number;
  /** Samples are taken in this many alternating blocks (raw, ours, raw, …) so drift hits both alike. */
  blocks: number;
}

export interface LatencyFigures {
  /** Milliseconds from sending the POST to receiving a GET that reads SUCCESS. */
  ours: number[];
  /** Milliseconds from queue.add to the completed event (job.waitUntilFinished). */
  raw: number[];
  /** Median GET round trip: how late, at most, the back-to-back polling sees the SUCCESS. */
  pollRoundTripMs: number;
  /** Median GETs per task. */
  pollsPerTask: number;
  /** Where our time goes, medians in ms, from the task's own timestamps (ms resolution). */
  breakdown: LatencyBreakdown;
  /** SUCCESS reads that lacked finished_at or result: the API read the job before it completed. */
  incompleteSuccessReads: number;
}

export interface LatencyBreakdown {
  /** POST round trip, as the client sees it. */
  submit: number;
  /** created_at → started_at: from the API's queue.add to a worker taking the job. */
  queued: number;
  /** started_at → finished_at: the worker's processing, bookkeeping included. */
  running: number;
  /** finished_at → the client holding a GET that reads SUCCESS. */
  observed: number;
}

const perTaskTimeoutMs = 10_000;

/**
 * One task at a time on an idle, warm system. Ours is observed the way a client sees it: POST, then
 * GET back to back (no sleep) until SUCCESS, so the polling adds at most one GET round trip, which
 * is measured and reported alongside.
 */
export async function measureIdleLatency(stack: TrainyardStack, raw: RawBullmq, options: LatencyOptions): Promise<LatencyFigures> {
  const perBlock = Math.ceil(options.samples / options.blocks);
  const rawSamples: number[] = [];
  const ours: number[] = [];
  const roundTrips: number[] = [];
  const polls: number[] = [];
  const parts: LatencyBreakdown[] = [];
  let incompleteSuccessReads = 0;
  for (let block = 0; block < options.blocks; block++) {
    const warmup = block === 0 ? options.warmup : 0;
    rawSamples.push(...(await raw.latencies(warmup, perBlock)));
    for (let i = 0; i < warmup + perBlock; i++) {
      const sample = await oursOnce(stack, options.model);
      if (i < warmup) continue;
      ours.push(sample.latencyMs);
      roundTrips.push(sample.lastPollMs);
      polls.push(sample.polls);
      if (sample.breakdown) parts.push(sample.breakdown);
      else incompleteSuccessReads++;
    }
  }
  const breakdown = {
    submit: median(parts.map((part) => part.submit)),
    queued: median(parts.map((part) => part.queued)),
    running: median(parts.map((part) => part.running)),
    observed: median(parts.map((part) => part.observed)),
  };
  return { ours, raw: rawSamples, pollRoundTripMs: median(roundTrips), pollsPerTask: median(polls), breakdown, incompleteSuccessReads };
}

interface Sample {
  latencyMs: number;
  lastPollMs: number;
  polls: number;
  /** Null when the SUCCESS read lacked a timestamp. */
  breakdown: LatencyBreakdown | null;
}

async function oursOnce(stack: TrainyardStack, model: string): Promise<Sample> {
  const started = performance.now();
  const taskId = await submitTask(stack.client, '/v1/predict', predictBody(model));
  const submit = performance.now() - started;
  for (let polls = 1; performance.now() - started < perTaskTimeoutMs; polls++) {
    const pollStarted = performance.now();
    const task = await getTask(stack.client, taskId);
    const now = performance.now();
    if (task.status === 'SUCCESS') {
      const seen = Date.now();
      const breakdown = breakdownOf(task, submit, seen);
      return { latencyMs: now - started, lastPollMs: now - pollStarted, polls, breakdown };
    }
    if (task.status === 'FAILURE') throw new Error(`predict task ${taskId} failed: ${JSON.stringify(task.error)}`);
  }
  throw new Error(`predict task ${taskId} not done after ${perTaskTimeoutMs} ms`);
}

function breakdownOf(task: TaskResource, submit: number, seen: number): LatencyBreakdown | null {
  if (!task.started_at || !task.finished_at || task.result === null) return null;
  const created = Date.parse(task.created_at);
  const started = Date.parse(task.started_at);
  const finished = Date.parse(task.finished_at);
  return { submit, queued: started - created, running: finished - started, observed: seen - finished };
}
