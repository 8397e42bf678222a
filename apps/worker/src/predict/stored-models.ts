import { loadModel } from '@trainyard/ml/predict';
import { NotFoundError } from '@trainyard/shared/platform';
import { storageKeys, type ObjectStore } from '@trainyard/shared/storage';
import { ModelCache } from './model-cache.js';

/**
 * Loaded models of every tenant, whose artifacts come from object storage (the only state workers
 * share), for the predict pipeline and batch chunks alike. TensorFlow.js loads only with the first
 * network's artifact.
 */
export function modelsFromStore(store: ObjectStore, maxBytes: number, onEvict?: () => void): ModelCache {
  return new ModelCache(
    maxBytes,
    async (model, version, tenant) => {
      const keys = storageKeys(tenant);
      const [topology, weights] = await Promise.all([store.get(keys.modelFile(model, version, 'model.json')), store.get(keys.modelFile(model, version, 'weights.bin'))]);
      if (!topology || !weights) throw new NotFoundError(`model ${model} version ${version} is not in storage`);
      return loadModel({ 'model.json': topology.toString('utf8'), 'weights.bin': new Uint8Array(weights) });
    },
    onEvict,
  );
}
