import { trainModel } from '@trainyard/ml/train';
import { loadTextTrainingData, loadTrainingData } from '@trainyard/shared/datasets';
import { AppError } from '@trainyard/shared/errors';
import { isTextDatasetRef, type Algorithm, type AlgorithmParams } from '@trainyard/shared/jobs';
import { createObjectStore } from '@trainyard/shared/storage';
import type { TrainingMessage, TrainingReply, TrainingStop, TrainingTask } from './training-task.js';

/**
 * Runs in a pool thread, so a long training never blocks the worker's event loop: BullMQ keeps
 * renewing the task's lock, other tasks run and shutdown stays responsive. TensorFlow.js is loaded
 * by the first network this thread trains, never for a linear model.
 */
export default async function train({ job, storage, port }: TrainingTask): Promise<TrainingReply> {
  const send = (message: TrainingMessage) => port.postMessage(message);
  const stop = new AbortController();
  port.on('message', (message: TrainingStop) => message.type === 'stop' && stop.abort());
  try {
    const store = createObjectStore(storage.url, storage.s3);
    const data = isTextDatasetRef(job.dataset) ? await loadTextTrainingData(store, job.dataset) : await loadTrainingData(store, job.dataset);
    const trained = await trainModel(data, {
      algorithm: job.algorithm,
      params: job.params as AlgorithmParams<Algorithm>,
      onEpoch: (progress) => send({ type: 'progress', progress }),
      log: (line) => send({ type: 'log', line }),
      signal: stop.signal,
    });
    return { ok: true, outcome: trained };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, error: { code: error.code, message: error.message } };
    throw error;
  } finally {
    port.close();
  }
}
