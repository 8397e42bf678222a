import { describe, expect, it } from 'vitest';
import type { ResumePoint, TrainProgress } from '@trainyard/shared/jobs';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoints } from '../src/checkpoint.js';
import { parseTrainSpec } from '../src/train-spec.js';
import { trainModel, type TrainedModel } from '../src/train.js';
import { sample } from './samples.js';

const iris = sample('iris');
const housing = sample('housing');

/** Many small batches and early stopping: the weights, Adam's moments, the batch order and the best epoch all matter. */
const network = (params: Record<string, unknown> = {}) => parseTrainSpec('mlp', { epochs: 40, batch_size: 16, patience: 4, hidden_units: [16], seed: 11, ...params });

/** An in-memory checkpoint object, as a store keeps it: replaced whole on every write. */
function memoryCheckpoints(saved: Uint8Array | null = null) {
  const store = { saved, writes: 0 };
  const checkpoints: Checkpoints = {
    saved,
    intervalMs: 0,
    write: async (bytes) => {
      store.saved = bytes;
      store.writes++;
    },
  };
  return { store, checkpoints };
}

/** Trains until `phase` reaches `epoch`, where the run is stopped (as a killed worker stops it); returns what was saved. */
async function interrupted(data: typeof iris, spec: ReturnType<typeof network>, phase: TrainProgress['phase'], epoch: number): Promise<Uint8Array> {
  const { store, checkpoints } = memoryCheckpoints();
  const stop = new AbortController();
  const onEpoch = (progress: TrainProgress) => {
    if (progress.phase === phase && progress.epoch === epoch) stop.abort();
  };
  await expect(trainModel(data, { ...spec, checkpoints, onEpoch, signal: stop.signal })).rejects.toMatchObject({ name: 'AbortError' });
  expect(store.writes).toBeGreaterThan(0);
  return store.saved!;
}

async function resumed(data: typeof iris, spec: ReturnType<typeof network>, saved: Uint8Array) {
  const progress: TrainProgress[] = [];
  const resumes: ResumePoint[] = [];
  const trained = await trainModel(data, {
    ...spec,
    checkpoints: memoryCheckpoints(saved).checkpoints,
    onEpoch: (p) => progress.push(p),
    onResume: (from) => resumes.push(from),
  });
  return { trained, progress, resumes };
}

/** Everything a version records about its model, and the model's weights (tfjs numbers its layers' names per process, so those are left out). */
function outcome({ files, metrics, validation, training, lossCurve, seed, dataHash }: TrainedModel) {
  const model = JSON.parse(files['model.json']) as { weightsManifest: { weights: { shape: number[] }[] }[]; userDefinedMetadata: unknown };
  return {
    metrics,
    validation,
    training,
    lossCurve,
    seed,
    dataHash,
    shapes: model.weightsManifest.flatMap(({ weights }) => weights.map(({ shape }) => shape)),
    metadata: model.userDefinedMetadata,
    weights: Buffer.from(files['weights.bin']).toString('base64'),
  };
}

describe('a network training interrupted and resumed from its checkpoint', () => {
  it('in the first fit ends exactly as the uninterrupted run: metrics, loss curve and weights', async () => {
    const spec = network();
    const whole = await trainModel(iris, spec);
    expect(whole.lossCurve.best_step).toBeDefined();
    const saved = await interrupted(iris, spec, 'fit', 7);
    const { trained, progress, resumes } = await resumed(iris, spec, saved);
    // Stopped during epoch 7's check: epoch 6 was the last one saved.
    expect(resumes).toEqual([{ phase: 'fit', epoch: 6 }]);
    expect(progress[0]).toMatchObject({ phase: 'fit', epoch: 7, resumed_from: { phase: 'fit', epoch: 6 } });
    expect(outcome(trained)).toEqual(outcome(whole));
  });

  it('in the refit on every row ends exactly as the uninterrupted run, with the first fit\'s validation', async () => {
    const spec = network();
    const whole = await trainModel(iris, spec);
    const saved = await interrupted(iris, spec, 'refit', 3);
    const { trained, progress, resumes } = await resumed(iris, spec, saved);
    expect(resumes).toEqual([{ phase: 'refit', epoch: 2 }]);
    // Nothing of the first fit runs again.
    expect(progress.every((p) => p.phase === 'refit')).toBe(true);
    expect(outcome(trained)).toEqual(outcome(whole));
  });

  it('a regressor without early stopping, unseeded: the checkpoint keeps the drawn seed', async () => {
    const spec = network({ seed: undefined, patience: 0, epochs: 12, refit: false });
    const saved = await interrupted(housing, spec, 'fit', 5);
    const { seed } = decodeCheckpoint(saved);
    const { trained } = await resumed(housing, spec, saved);
    expect(trained.seed).toBe(seed);
    const whole = await trainModel(housing, network({ seed, patience: 0, epochs: 12, refit: false }));
    expect(outcome(trained)).toEqual(outcome(whole));
  });
});

describe('a checkpoint that is not this training\'s', () => {
  it('is ignored, with a log line: other data, other parameters, or unreadable bytes', async () => {
    const spec = network({ epochs: 5, patience: 0 });
    const saved = await interrupted(iris, spec, 'fit', 3);
    const whole = await trainModel(housing, network({ epochs: 5, patience: 0 }));
    const cases: [typeof iris, ReturnType<typeof network>, Uint8Array, string][] = [
      [housing, network({ epochs: 5, patience: 0 }), saved, 'made on other data'],
      [iris, network({ epochs: 6, patience: 0 }), saved, 'made with other parameters'],
      [housing, network({ epochs: 5, patience: 0 }), saved.subarray(0, 100), 'unreadable'],
    ];
    for (const [data, other, bytes, reason] of cases) {
      const lines: string[] = [];
      const resumes: ResumePoint[] = [];
      const trained = await trainModel(data, { ...other, checkpoints: memoryCheckpoints(bytes).checkpoints, log: (l) => lines.push(l), onResume: (r) => resumes.push(r) });
      expect(resumes).toEqual([]);
      expect(lines[0]).toContain(reason);
      expect(trained.lossCurve.loss).toHaveLength(other.params.epochs);
      if (data === housing) expect(outcome(trained)).toEqual(outcome(whole));
    }
  });
});

describe('checkpoint encoding', () => {
  it('keeps every float exactly, at any buffer offset', () => {
    const state = {
      step: 3,
      weights: [Float32Array.of(0.1, -2.5e-8, 3), Float32Array.of(Math.PI)],
      adam: { steps: 9, firstMoments: [Float32Array.of(1e-30, 7)], secondMoments: [Float32Array.of(0)] },
      random: 4_000_000_000,
      order: [2, 0, 1],
      loss: [0.5, 0.25],
      valLoss: [],
      bestStep: 0,
      bestMonitored: null,
    };
    const checkpoint = { algorithm: 'mlp' as const, params: '{}', dataHash: 'abc', seed: 5, phase: 'fit' as const, state };
    const bytes = encodeCheckpoint(checkpoint);
    // As a store may hand it back: a Buffer viewing an odd offset of a larger memory.
    const memory = Buffer.alloc(bytes.byteLength + 3);
    memory.set(bytes, 3);
    expect(decodeCheckpoint(memory.subarray(3))).toEqual(checkpoint);
  });
});
