import { once } from 'node:events';
import { Queue, UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueues, leaveBacklogOp, notifyRetries, TaskBacklog } from '@trainyard/shared/jobs';
import { TaskNotifications } from '@trainyard/shared/notify';
import { cachedRowsOp, PredictionCache } from '@trainyard/shared/cache';
import { AppError, DataError, keysExistOp, RedisBatch } from '@trainyard/shared/platform';
import { TaskCancellation, TaskEventLog, taskEventOp, type StatusEvent } from '@trainyard/shared/tasks';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { runAttempt, type AttemptRuntime, type TaskJobData } from '../src/tasks/attempt.js';
import { TaskBookkeeping } from '../src/tasks/bookkeeping.js';
import { TaskControl } from '../src/tasks/control.js';
import { FinalStatusRecorder } from '../src/tasks/record-final.js';

/** runAttempt against a real event log, cancel channel and notify queue on Redis; only the work is ours. */

const prefix = testPrefix('attempt');
const redis = new Redis(redisUrl);
const subscriber = new Redis(redisUrl);
const log = pino({ level: 'silent' });
const events = new TaskEventLog(redis, prefix, 60);
const cancels = new TaskCancellation(redis, prefix, 60);
const queues = new JobQueues(redis, prefix, { notify: notifyRetries({ NOTIFY_ATTEMPTS: 1, NOTIFY_BACKOFF_MS: 1, TASK_RETENTION_S: 60, TASK_RETENTION_COUNT: 100 }) }, () => {});
const taskQueue = new Queue('predict', { connection: redis, prefix });
const writes = new RedisBatch(redis, [taskEventOp, keysExistOp, cachedRowsOp, leaveBacklogOp]);
const bookkeeping = new TaskBookkeeping(writes, events, cancels, log);
const answers = new PredictionCache(redis, prefix, 60);
let runtime: AttemptRuntime;

beforeAll(async () => {
  // Subscribed only once ready: a subscribe racing ioredis' ready check fails the check.
  if (subscriber.status !== 'ready') await once(subscriber, 'ready');
  const backlog = new TaskBacklog(redis, prefix, { retentionSeconds: 60, retentionCount: 100 });
  runtime = { bookkeeping, control: await TaskControl.start(subscriber, cancels, log), final: new FinalStatusRecorder(bookkeeping, backlog, new TaskNotifications(queues, events)) };
});

afterAll(async () => {
  await runtime.control.close();
  await Promise.all([queues.close(), taskQueue.close()]);
  await deletePrefix(prefix);
  redis.disconnect();
});

let taskCount = 0;

/** A real job, as a worker holds it once BullMQ moved it to active: this pick-up counts as started. */
async function pickedUp(data: TaskJobData = {}, { attempts = 3, failedBefore = 0 } = {}): Promise<Job<TaskJobData>> {
  const job = await taskQueue.add('model.predict', data, { jobId: `predict-${String(++taskCount).padStart(32, '0')}`, attempts });
  job.attemptsMade = failedBefore;
  job.attemptsStarted = failedBefore + 1;
  return job;
}

async function statuses(job: Job): Promise<Omit<StatusEvent, 'at' | 'type'>[]> {
  const logged = await events.read(job.id!);
  return logged.flatMap(({ event }) => (event.type === 'status' ? [{ status: event.status, attempt: event.attempt, ...(event.error ? { error: event.error } : {}) }] : []));
}

const never = () => new Promise<never>(() => {});

describe('runAttempt', () => {
  it('records STARTED then SUCCESS, returns the result, and queues the notifications the task asked for', async () => {
    const job = await pickedUp({ notify: { email: 'team@example.com', on: ['succeeded'] } });
    await expect(runAttempt(job, 'predict', runtime, async () => ({ answer: 42 }))).resolves.toEqual({ answer: 42 });
    expect(await statuses(job)).toEqual([
      { status: 'STARTED', attempt: 1 },
      { status: 'SUCCESS', attempt: 1 },
    ]);
    const [email] = await queues.get('notify').getJobs(['waiting']);
    expect(email?.name).toBe('email.send');
    expect(email?.data).toMatchObject({ to: 'team@example.com', event: 'succeeded', task: { task_id: job.id, status: 'SUCCESS', result: { answer: 42 } } });
  });

  it('makes the writes that go with a SUCCESS before the SUCCESS shows, and survives one that fails', async () => {
    const job = await pickedUp();
    const keys = answers.keysFor('model', 1, [[1, 2]]);
    const broken = new RedisBatch(new Redis(redisUrl, { lazyConnect: true, enableOfflineQueue: false }), [cachedRowsOp]);
    const seenAtSuccess = new Promise<string | null>((resolve) => {
      // A second reader polls for the SUCCESS entry; what the cache holds at that moment is what a client would see.
      const poll = async (): Promise<void> => {
        const [logged, cached] = await Promise.all([events.read(job.id!), redis.get(keys.rowKeys[0]!)]);
        if (logged.some(({ event }) => event.type === 'status' && event.status === 'SUCCESS')) return resolve(cached);
        setImmediate(() => void poll());
      };
      void poll();
    });
    await runAttempt(job, 'predict', runtime, async ({ withOutcome }) => {
      withOutcome({ batch: writes, op: answers.storeOp(keys, [{ value: 7 }]), label: 'answers not cached' });
      withOutcome({ batch: broken, op: answers.storeOp(keys, [{ value: 8 }]), label: 'answers not cached' });
      return 'done';
    });
    expect(JSON.parse((await seenAtSuccess)!)).toEqual({ value: 7 });
    expect((await statuses(job)).map(({ status }) => status)).toEqual(['STARTED', 'SUCCESS']);
  });

  it('records RETRY and rethrows for BullMQ to retry an error another attempt may cure', async () => {
    const job = await pickedUp();
    const failure = new Error('storage hiccup');
    await expect(runAttempt(job, 'predict', runtime, async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await statuses(job)).toEqual([
      { status: 'STARTED', attempt: 1 },
      { status: 'RETRY', attempt: 1, error: { code: 'internal', message: 'storage hiccup' } },
    ]);
  });

  it('retries what the error catalog calls retryable (unavailable), fails at once what it does not (invalid_data)', async () => {
    const retried = await pickedUp();
    await expect(runAttempt(retried, 'predict', runtime, async () => Promise.reject(new AppError('unavailable', 'Redis away')))).rejects.toBeInstanceOf(AppError);
    expect((await statuses(retried)).at(-1)).toMatchObject({ status: 'RETRY', error: { code: 'unavailable' } });

    const refused = await pickedUp();
    await expect(runAttempt(refused, 'predict', runtime, async () => Promise.reject(new DataError('column "x" is empty')))).rejects.toBeInstanceOf(UnrecoverableError);
    expect((await statuses(refused)).at(-1)).toEqual({ status: 'FAILURE', attempt: 1, error: { code: 'invalid_data', message: 'column "x" is empty' } });
  });

  it('records FAILURE on the last attempt, and fails the job for good', async () => {
    const job = await pickedUp({}, { attempts: 3, failedBefore: 2 });
    await expect(runAttempt(job, 'predict', runtime, async () => Promise.reject(new Error('still broken')))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(await statuses(job)).toEqual([
      { status: 'STARTED', attempt: 3 },
      { status: 'FAILURE', attempt: 3, error: { code: 'internal', message: 'still broken' } },
    ]);
  });

  it('never runs the work of a task cancelled before it got here, and records REVOKED', async () => {
    const job = await pickedUp();
    await cancels.request(job.id!);
    let ran = false;
    await expect(runAttempt(job, 'predict', runtime, async () => (ran = true))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(ran).toBe(false);
    expect((await statuses(job)).map(({ status }) => status)).toEqual(['STARTED', 'REVOKED']);
  });

  it('ends REVOKED a task cancelled before it got here whose work ran alongside the check (a prediction), dropping its result', async () => {
    const job = await pickedUp();
    await cancels.request(job.id!);
    let ran = false;
    const outcome = runAttempt(job, 'predict', runtime, async () => (ran = true), 'alongside');
    await expect(outcome).rejects.toBeInstanceOf(UnrecoverableError);
    expect(ran).toBe(true);
    expect((await statuses(job)).map(({ status }) => status)).toEqual(['STARTED', 'REVOKED']);
  });

  it("writes a short alongside attempt's STARTED with its outcome, SUCCESS after it", async () => {
    const job = await pickedUp();
    const keys = answers.keysFor('model', 1, [[3, 4]]);
    await runAttempt(job, 'predict', runtime, async ({ withOutcome }) => {
      withOutcome({ batch: writes, op: answers.storeOp(keys, [{ value: 9 }]), label: 'answers not cached' });
      return 'done';
    }, 'alongside');
    expect(await statuses(job)).toEqual([
      { status: 'STARTED', attempt: 1 },
      { status: 'SUCCESS', attempt: 1 },
    ]);
    expect(JSON.parse((await redis.get(keys.rowKeys[0]!))!)).toEqual({ value: 9 });
  });

  it('ends REVOKED, without its SUCCESS or its writes, an alongside attempt cancelled while it ran', async () => {
    const job = await pickedUp();
    const keys = answers.keysFor('model', 1, [[5, 6]]);
    const outcome = runAttempt(job, 'predict', runtime, async ({ withOutcome }) => {
      // The flag is set, its message lost: the check with the outcome still sees it.
      await redis.set(`${prefix}:task:${job.id}:cancel`, '1');
      withOutcome({ batch: writes, op: answers.storeOp(keys, [{ value: 1 }]), label: 'answers not cached' });
      return 'done';
    }, 'alongside');
    await expect(outcome).rejects.toThrow(/revoked/);
    expect((await statuses(job)).map(({ status }) => status)).toEqual(['STARTED', 'REVOKED']);
    expect(await redis.exists(keys.rowKeys[0]!)).toBe(0);
  });

  it("ends an alongside attempt whose outcome check fails with the check's error, though its work succeeded", async () => {
    const job = await pickedUp();
    await redis.set(`${prefix}:gone`, '1');
    const gone = { op: { kind: keysExistOp, keys: [`${prefix}:gone`], args: [] }, error: () => new AppError('model_version_deleted', 'gone') };
    const outcome = runAttempt(job, 'predict', runtime, async ({ check }) => {
      check(gone);
      return 'done';
    }, 'alongside');
    await expect(outcome).rejects.toThrow(/gone/);
    expect((await statuses(job)).at(-1)).toMatchObject({ status: 'FAILURE', error: { code: 'model_version_deleted' } });
  });

  it('ends REVOKED an alongside attempt both cancelled and failing its check, which go as one EXISTS', async () => {
    const job = await pickedUp();
    await redis.set(`${prefix}:gone-too`, '1');
    const gone = { op: { kind: keysExistOp, keys: [`${prefix}:gone-too`], args: [] }, error: () => new AppError('model_version_deleted', 'gone') };
    const outcome = runAttempt(job, 'predict', runtime, async ({ check }) => {
      check(gone);
      await redis.set(`${prefix}:task:${job.id}:cancel`, '1');
      return 'done';
    }, 'alongside');
    await expect(outcome).rejects.toThrow(/revoked/);
    expect((await statuses(job)).map(({ status }) => status)).toEqual(['STARTED', 'REVOKED']);
  });

  it('writes STARTED on its own for an alongside attempt still running after a few milliseconds', async () => {
    const job = await pickedUp();
    let release = () => {};
    const outcome = runAttempt(job, 'predict', runtime, () => new Promise<string>((resolve) => (release = () => resolve('done'))), 'alongside');
    await expect.poll(async () => (await statuses(job)).map(({ status }) => status)).toEqual(['STARTED']);
    release();
    await expect(outcome).resolves.toBe('done');
    expect((await statuses(job)).map(({ status }) => status)).toEqual(['STARTED', 'SUCCESS']);
  });

  it('stops running work when a cancel is published, and records REVOKED', async () => {
    const job = await pickedUp();
    const outcome = runAttempt(job, 'predict', runtime, ({ signal }) => {
      // The work honours its signal, as a training does at its next batch.
      const stopped = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }));
      void cancels.request(job.id!);
      return stopped;
    });
    await expect(outcome).rejects.toThrow(/revoked/);
    expect((await statuses(job)).map(({ status }) => status)).toEqual(['STARTED', 'REVOKED']);
  });

  it('ends an attempt at its timeout whatever the work does, as a permanent FAILURE with code timeout', async () => {
    const job = await pickedUp({ deadline: { timeout_ms: 50 } });
    const started = Date.now();
    await expect(runAttempt(job, 'predict', runtime, never)).rejects.toBeInstanceOf(UnrecoverableError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await statuses(job)).at(-1)).toMatchObject({ status: 'FAILURE', error: { code: 'timeout' } });
  });

  it('records EXPIRED without starting a task picked up after its expiry', async () => {
    const job = await pickedUp({ deadline: { expires_at: Date.now() - 1 } });
    let ran = false;
    await expect(runAttempt(job, 'predict', runtime, async () => (ran = true))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(ran).toBe(false);
    expect(await statuses(job)).toEqual([{ status: 'EXPIRED', attempt: 1 }]);
  });
});
