import { initBackend } from '@trainyard/ml/backend';
import { loadModel } from '@trainyard/ml/predict';
import { NotFoundError } from '@trainyard/shared/platform';
import { storageKeys, type ObjectStore } from '@trainyard/shared/storage';
import { ModelCache } from './model-cache.js';

/**
 * Loaded models whose artifacts come from object storage (the only state workers share), for the
 * predict pipeline and batch chunks alike.
 */
export async function modelsFromStore(store: ObjectStore, maxBytes: number): Promise<ModelCache> {
  await initBackend();
  return new ModelCache(maxBytes, async (model, version) => {
    const [topology, weights] = await Promise.all([
      store.get(storageKeys.modelFile(model, version, 'model.json')),
      store.get(storageKeys.modelFile(model, version, 'weights.bin')),
    ]);
    if (!topology || !weights) throw new NotFoundError(`model ${model} version ${version} is not in storage`);
    return loadModel({ 'model.json': topology.toString('utf8'), 'weights.bin': new Uint8Array(weights) });
  });
}
