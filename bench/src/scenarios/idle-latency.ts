import { performance } from 'node:perf_hooks';
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
  for (let block = 0; block < options.blocks; block++) {
    const warmup = block === 0 ? options.warmup : 0;
    rawSamples.push(...(await raw.latencies(warmup, perBlock)));
    for (let i = 0; i < warmup + perBlock; i++) {
      const sample = await oursOnce(stack, options.model);
      if (i < warmup) continue;
      ours.push(sample.latencyMs);
      roundTrips.push(sample.lastPollMs);
      polls.push(sample.polls);
    }
  }
  return { ours, raw: rawSamples, pollRoundTripMs: median(roundTrips), pollsPerTask: median(polls) };
}

async function oursOnce(stack: TrainyardStack, model: string): Promise<{ latencyMs: number; lastPollMs: number; polls: number }> {
  const started = performance.now();
  const taskId = await submitTask(stack.client, '/v1/predict', predictBody(model));
  for (let polls = 1; performance.now() - started < perTaskTimeoutMs; polls++) {
    const pollStarted = performance.now();
    const task = await getTask(stack.client, taskId);
    const now = performance.now();
    if (task.status === 'SUCCESS') return { latencyMs: now - started, lastPollMs: now - pollStarted, polls };
    if (task.status === 'FAILURE') throw new Error(`predict task ${taskId} failed: ${JSON.stringify(task.error)}`);
  }
  throw new Error(`predict task ${taskId} not done after ${perTaskTimeoutMs} ms`);
}
