/**
 * node bench/dist/drain.js [ROUNDS] [--redis-work] [--latency] (after npm run build): the worker
 * side of npm run bench alone, for quick iterations on the worker. ROUNDS (5 by default) paired
 * drains of 3,000 queued predictions, the no-op worker's, the floors' (a no-op worker draining jobs
 * with our jobs' options; one also writing what our guarantees write per task) then ours
 * (warm-throughput's workers-alone part), each with the worker's
 * and Redis' CPU and Redis' commands per task over the drain; then, when asked, the Redis-work
 * scenario and the idle latency (with its floor, a bare HTTP front of the no-op worker). On a
 * redis-server of its own; every process it starts is stopped. BENCH_CPU_PROF_DIR profiles our
 * worker as with npm run bench.
 */
import { resolve } from 'node:path';
import { BareTaskServer } from './ceilings/bare-task.js';
import { ourPredictJobs } from './ceilings/our-predict-jobs.js';
import { RawBullmq } from './ceilings/raw-bullmq.js';
import { measureIdleLatency, type LatencyCpu } from './scenarios/idle-latency.js';
import { measureRedisWork, type RedisWork } from './scenarios/redis-work.js';
import { drainOnly, warmFloorAsOurs } from './scenarios/warm-throughput.js';
import { settings, trainBody } from './settings.js';
import type { DrainMeter } from './support/drain-meter.js';
import { uniquePrefix } from './support/redis-keys.js';
import { PrivateRedis, type RedisCounters } from './support/private-redis.js';
import { median, pairedRatios, percentile, type Repeated } from './support/stats.js';
import { awaitSuccess, submitTask } from './trainyard/tasks.js';
import { benchStack, TrainyardStack } from './trainyard/stack.js';

const rounds = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 5);
const asked = (flag: string) => process.argv.includes(flag);
const { throughput, waitTimeoutMs: timeoutMs } = settings;
const model = 'drain-iris';

interface DrainCost {
  /** The worker process' CPU per task, µs. */
  workerMicros: number;
  /** Redis' CPU per task, µs. */
  redisMicros: number;
  /** Redis commands per task, those scripts called included. */
  commands: number;
  /** Per command, calls and µs per task. */
  calls: [command: string, perTask: number, micros: number][];
}

/** Reads the worker's CPU and Redis' counters when the drain's clock starts and stops. */
function meter(redis: PrivateRedis, workerCpuSeconds: () => number, costs: DrainCost[]): DrainMeter {
  let before: { cpu: number; redis: RedisCounters } | undefined;
  return {
    async started() {
      before = { cpu: workerCpuSeconds(), redis: await redis.counters() };
    },
    async stopped() {
      const after = { cpu: workerCpuSeconds(), redis: await redis.counters() };
      const calls = Object.entries(after.redis.calls)
        .filter(([name]) => name !== 'info')
        .map(([name, count]): [string, number, number] => [
          name,
          (count - (before!.redis.calls[name] ?? 0)) / throughput.tasks,
          ((after.redis.usec[name] ?? 0) - (before!.redis.usec[name] ?? 0)) / throughput.tasks,
        ])
        .filter(([, perTask]) => perTask > 0)
        .sort((a, b) => b[1] - a[1]);
      costs.push({
        workerMicros: ((after.cpu - before!.cpu) * 1e6) / throughput.tasks,
        redisMicros: (after.redis.cpuMicros - before!.redis.cpuMicros) / throughput.tasks,
        commands: calls.reduce((sum, [, perTask]) => sum + perTask, 0),
        calls,
      });
    },
  };
}

const costLine = (costs: DrainCost[]) =>
  `worker ${median(costs.map((cost) => cost.workerMicros)).toFixed(0)} µs, Redis ${median(costs.map((cost) => cost.redisMicros)).toFixed(0)} µs, ` +
  `${median(costs.map((cost) => cost.commands)).toFixed(1)} commands per task; last round: ${costs.at(-1)!.calls.map(([name, count, micros]) => `${name} ${count.toFixed(2)} (${micros.toFixed(1)} µs)`).join(', ')}`;
const workLine = (work: RedisWork) => `${work.commands.toFixed(1)} commands, ${work.cpuMicros.toFixed(0)} µs (${work.top.map(([name, count]) => `${name} ${count.toFixed(2)}`).join(', ')})`;

const redis = await PrivateRedis.start(timeoutMs);
try {
  const raw = await RawBullmq.start(redis.url, uniquePrefix('noop'), throughput.workerConcurrency, timeoutMs);
  const floor = await RawBullmq.start(redis.url, uniquePrefix('noop-floor'), throughput.workerConcurrency, timeoutMs, ourPredictJobs);
  const guarantees = await RawBullmq.start(redis.url, uniquePrefix('guarantees-floor'), throughput.workerConcurrency, timeoutMs, ourPredictJobs, true);
  const profile = settings.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(settings.cpuProfileDir)}`] : [];
  const stack = await TrainyardStack.start(benchStack(redis.url, profile));
  try {
    await awaitSuccess(stack.client, await submitTask(stack.client, '/v1/train', trainBody(model, settings.memory.epochs)), timeoutMs);
    const drain = { redisUrl: redis.url, model, tasks: throughput.tasks, submitConcurrency: throughput.submitConcurrency, timeoutMs };
    await raw.drainOnly(throughput.warmupTasks, timeoutMs);
    await drainOnly(stack, { ...drain, tasks: throughput.warmupTasks });
    await warmFloorAsOurs(floor, stack, { ...drain, warmupTasks: throughput.warmupTasks });
    await warmFloorAsOurs(guarantees, stack, { ...drain, warmupTasks: throughput.warmupTasks });
    const ours: number[] = [];
    const noop: number[] = [];
    const floors: number[] = [];
    const oursCosts: DrainCost[] = [];
    const noopCosts: DrainCost[] = [];
    const floorCosts: DrainCost[] = [];
    const guaranteesRuns: number[] = [];
    const guaranteesCosts: DrainCost[] = [];
    for (let i = 0; i < rounds; i++) {
      noop.push(await raw.drainOnly(throughput.tasks, timeoutMs, meter(redis, () => raw.workerCpuSeconds(), noopCosts)));
      floors.push(await floor.drainOnly(throughput.tasks, timeoutMs, meter(redis, () => floor.workerCpuSeconds(), floorCosts)));
      guaranteesRuns.push(await guarantees.drainOnly(throughput.tasks, timeoutMs, meter(redis, () => guarantees.workerCpuSeconds(), guaranteesCosts)));
      ours.push(await drainOnly(stack, drain, meter(redis, () => stack.workerCpuSeconds(), oursCosts)));
      console.log(
        `round ${i + 1}: no-op ${noop[i]!.toFixed(0)} jobs/s, floor ${floors[i]!.toFixed(0)} jobs/s (${(floors[i]! / noop[i]!).toFixed(2)}× no-op), ` +
          `guarantees floor ${guaranteesRuns[i]!.toFixed(0)} jobs/s (${(guaranteesRuns[i]! / noop[i]!).toFixed(2)}× no-op), ` +
          `ours ${ours[i]!.toFixed(0)} tasks/s (${(ours[i]! / noop[i]!).toFixed(2)}× no-op, ${(ours[i]! / floors[i]!).toFixed(2)}× floor, ${(ours[i]! / guaranteesRuns[i]!).toFixed(2)}× guarantees floor)`,
      );
    }
    const spread = ({ median, min, max }: Repeated) => `${median.toFixed(2)} (${min.toFixed(2)}–${max.toFixed(2)})×`;
    console.log(
      `drain: ours ${median(ours).toFixed(0)} tasks/s, no-op ${median(noop).toFixed(0)} jobs/s, floor ${median(floors).toFixed(0)} jobs/s; ` +
        `ours / no-op ${spread(pairedRatios(ours, noop))}, floor / no-op ${spread(pairedRatios(floors, noop))}, ours / floor ${spread(pairedRatios(ours, floors))}; ` +
        `guarantees floor ${median(guaranteesRuns).toFixed(0)} jobs/s, / no-op ${spread(pairedRatios(guaranteesRuns, noop))}, ours / it ${spread(pairedRatios(ours, guaranteesRuns))}`,
    );
    console.log(`  ours:  ${costLine(oursCosts)}`);
    console.log(`  floor: ${costLine(floorCosts)}`);
    console.log(`  guarantees floor: ${costLine(guaranteesCosts)}`);
    console.log(`  no-op: ${costLine(noopCosts)}`);
    if (asked('--redis-work')) {
      const work = await measureRedisWork(redis, stack, raw, guarantees, { model, ...settings.redisWork, submitConcurrency: throughput.submitConcurrency, timeoutMs });
      console.log(`Redis work per task: ours ${workLine(work.ours)}; raw ${workLine(work.raw)}`);
      console.log(`  ratios: commands ${(work.ours.commands / work.raw.commands).toFixed(2)}×, CPU ${(work.ours.cpuMicros / work.raw.cpuMicros).toFixed(2)}×`);
      console.log(`  floor of the guarantees: ${workLine(work.floor)}; CPU ${(work.floor.cpuMicros / work.raw.cpuMicros).toFixed(2)}× raw, ours ${(work.ours.cpuMicros / work.floor.cpuMicros).toFixed(2)}× of it`);
    }
    if (asked('--latency')) {
      const front = await BareTaskServer.start(redis.url, raw.prefix, timeoutMs);
      const admitting = await BareTaskServer.start(redis.url, guarantees.prefix, timeoutMs, true);
      const latency = await measureIdleLatency(stack, raw, front, { front: admitting, worker: guarantees }, { model, ...settings.latency }).finally(() =>
        Promise.all([front.stop(), admitting.stop()]),
      );
      const rawP50 = median(latency.raw);
      const p99 = (samples: number[]) => percentile(samples, 99).toFixed(2);
      const cpu = ({ api, worker }: LatencyCpu, front = 'API') => `CPU per task ${front} ${(api / 1000).toFixed(2)} ms, worker ${(worker / 1000).toFixed(2)} ms`;
      console.log(
        `idle p50: raw ${rawP50.toFixed(2)} ms, polling +${(median(latency.polled) - rawP50).toFixed(2)} ms, Prefer: wait +${(median(latency.waited) - rawP50).toFixed(2)} ms; ` +
          `p99: raw ${p99(latency.raw)}, polling ${p99(latency.polled)}, Prefer: wait ${p99(latency.waited)} ms; running ${latency.waiting.breakdown.running} ms (task timestamps, waiting)`,
      );
      console.log(`  polling: ${latency.polling.meanPolls.toFixed(2)} GETs per task (mean), ${cpu(latency.polling.cpu)}; Prefer: wait: ${cpu(latency.waiting.cpu)}`);
      const { floor: bareFront } = latency;
      const [floorPolled, floorWaited] = [median(bareFront.polled), median(bareFront.waited)];
      console.log(
        `  floor (bare HTTP front + no-op worker) p50: polling ${floorPolled.toFixed(2)} ms (+${(floorPolled - rawP50).toFixed(2)} above raw, ours +${(median(latency.polled) - floorPolled).toFixed(2)} above it), ` +
          `Prefer: wait ${floorWaited.toFixed(2)} ms (+${(floorWaited - rawP50).toFixed(2)} above raw, ours +${(median(latency.waited) - floorWaited).toFixed(2)} above it); ` +
          `p99 polling ${p99(bareFront.polled)}, Prefer: wait ${p99(bareFront.waited)} ms; ${bareFront.meanPolls.toFixed(2)} GETs per task (mean); ` +
          `polling ${cpu(bareFront.cpu.polled, 'front')}; Prefer: wait ${cpu(bareFront.cpu.waited, 'front')}`,
      );
      const guaranteed = latency.guaranteesFloor;
      const [guaranteedPolled, guaranteedWaited] = [median(guaranteed.polled), median(guaranteed.waited)];
      console.log(
        `  guarantees floor p50: polling ${guaranteedPolled.toFixed(2)} ms (+${(guaranteedPolled - rawP50).toFixed(2)} above raw, ours +${(median(latency.polled) - guaranteedPolled).toFixed(2)} above it), ` +
          `Prefer: wait ${guaranteedWaited.toFixed(2)} ms (+${(guaranteedWaited - rawP50).toFixed(2)} above raw, ours +${(median(latency.waited) - guaranteedWaited).toFixed(2)} above it); ` +
          `polling ${cpu(guaranteed.cpu.polled, 'front')}; Prefer: wait ${cpu(guaranteed.cpu.waited, 'front')}`,
      );
    }
  } finally {
    await stack.stop();
    await Promise.all([raw.stop(), floor.stop(), guarantees.stop()]);
  }
} finally {
  await redis.stop();
}
