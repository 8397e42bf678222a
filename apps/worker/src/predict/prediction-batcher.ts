import type { LoadedModel, ModelInputs } from '@trainyard/ml/predict';
import type { Prediction } from '@trainyard/shared/jobs';

interface Waiter {
  inputs: ModelInputs;
  start: number;
  resolve: (predictions: Prediction[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Dynamic batching: the predictions that concurrent tasks ask of one model within the same turn of
 * the event loop run as one call. A model call has a fixed cost (tensor set-up, kernel launches,
 * reading back) far above its cost per row, so under load this pays it once per batch instead of
 * once per task; an idle worker waits no longer than the current turn.
 */
export class PredictionBatcher {
  private readonly pending = new Map<LoadedModel, { inputs: unknown[]; waiters: Waiter[] }>();

  predict(model: LoadedModel, inputs: ModelInputs): Promise<Prediction[]> {
    let batch = this.pending.get(model);
    if (!batch) {
      const created = { inputs: [] as unknown[], waiters: [] as Waiter[] };
      this.pending.set(model, (batch = created));
      setImmediate(() => this.run(model, created));
    }
    const target = batch;
    return new Promise((resolve, reject) => {
      target.waiters.push({ inputs, start: target.inputs.length, resolve, reject });
      target.inputs.push(...inputs);
    });
  }

  private run(model: LoadedModel, batch: { inputs: unknown[]; waiters: Waiter[] }): void {
    this.pending.delete(model);
    if (batch.waiters.length === 1) return this.runAlone(model, batch.waiters[0]!);
    let predictions: Prediction[];
    try {
      predictions = model.predict(batch.inputs as ModelInputs);
    } catch {
      // One task's bad input must not fail the others: each runs alone and keeps its own error.
      return batch.waiters.forEach((waiter) => this.runAlone(model, waiter));
    }
    for (const waiter of batch.waiters) waiter.resolve(predictions.slice(waiter.start, waiter.start + waiter.inputs.length));
  }

  private runAlone(model: LoadedModel, waiter: Waiter): void {
    try {
      waiter.resolve(model.predict(waiter.inputs));
    } catch (error) {
      waiter.reject(error);
    }
  }
}
