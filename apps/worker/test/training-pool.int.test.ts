import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrainJobData } from '@trainyard/shared/jobs';
// The built pool: its threads load the compiled train.thread.js next to it.
import { TrainingPool } from '../dist/train/training-pool.js';
import type { TrainingMessage } from '../dist/train/training-task.js';

/** How a training pool stops a training: a stop message first, the thread terminated after the grace period. */

const storageDir = mkdtempSync(join(tmpdir(), 'ty-pool-'));
const storage = { url: `file://${storageDir}`, s3: {} };
const pools: TrainingPool[] = [];

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  rmSync(storageDir, { recursive: true, force: true });
});

const rows = Array.from({ length: 200 }, (_, i) => [i % 7, (i * 3) % 11, (i * 5) % 13]);
const dataset = { inline: { features: rows, labels: rows.map((row) => (row[0]! > 3 ? 'high' : 'low')) } };
const training = (epochs: number, batchSize: number): TrainJobData => ({
  model: 'pool-test',
  algorithm: 'mlp',
  dataset,
  params: { epochs, batch_size: batchSize, learning_rate: 0.05, validation_split: 0.2, hidden_units: [16], activation: 'relu', seed: 1 },
});

/** Starts a long training, aborts it at its first progress report and says how it ended and how fast. */
async function cancelAtFirstEpoch(pool: TrainingPool): Promise<{ error: Error; stopMs: number }> {
  const controller = new AbortController();
  let abortedAt = 0;
  const onMessage = (message: TrainingMessage) => {
    if (message.type !== 'progress' || controller.signal.aborted) return;
    abortedAt = Date.now();
    controller.abort();
  };
  const error = await pool.train('pool-task', training(5_000, 1), onMessage, controller.signal).then(
    () => new Error('the training finished although it was stopped'),
    (rejection: Error) => rejection,
  );
  return { error, stopMs: Date.now() - abortedAt };
}

describe('TrainingPool', () => {
  it('asks a stopped training to end at its next batch, well within the grace period', async () => {
    const pool = new TrainingPool(1, storage, 60_000, 0);
    pools.push(pool);
    const { error, stopMs } = await cancelAtFirstEpoch(pool);
    expect(error.message).toMatch(/training was aborted/);
    expect(stopMs).toBeLessThan(2_000);
    console.log(`cooperative stop: ${stopMs} ms`);
    // The same pool trains again afterwards.
    await expect(pool.train('pool-task', training(2, 32), () => {}, new AbortController().signal)).resolves.toMatchObject({ task: 'classification' });
  });

  it('terminates the thread once the grace period is over', async () => {
    const pool = new TrainingPool(1, storage, 0, 0);
    pools.push(pool);
    const { error } = await cancelAtFirstEpoch(pool);
    expect(error.name).toBe('AbortError');
    expect(error.message).toBe('The task has been aborted');
    // A new thread replaces the terminated one.
    await expect(pool.train('pool-task', training(2, 32), () => {}, new AbortController().signal)).resolves.toMatchObject({ task: 'classification' });
  });

  it('trains a linear model in its solver thread, with a network still training in its own', async () => {
    const pool = new TrainingPool(1, storage, 60_000, 0);
    pools.push(pool);
    const controller = new AbortController();
    const network = pool.train('pool-task', training(5_000, 1), () => {}, controller.signal).catch((error: Error) => error);
    const linear = await pool.train('pool-linear-task', { model: 'pool-linear', algorithm: 'logistic-regression', dataset, params: { seed: 1 } }, () => {}, new AbortController().signal);
    // 20 % of each class held out, rounded down per class: 39 of 200.
    expect(linear).toMatchObject({
      task: 'classification',
      validation: { rows: 39 },
      training: { rows: 200, refit: true },
      lossCurve: { unit: 'iteration', refit_loss: expect.any(Array) },
    });
    controller.abort();
    expect(await network).toMatchObject({ message: expect.stringMatching(/training was aborted/) });
  });

  it('refuses to start a training whose signal has already aborted', async () => {
    const pool = new TrainingPool(1, storage, 60_000, 0);
    pools.push(pool);
    await expect(pool.train('pool-task', training(2, 32), () => {}, AbortSignal.abort(new Error('cancelled before the start')))).rejects.toThrow(
      'cancelled before the start',
    );
  });
});
