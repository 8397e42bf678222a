import * as tf from '@tensorflow/tfjs-core';
// Registers the wasm backend with tfjs-core.
import '@tensorflow/tfjs-backend-wasm';

let ready: Promise<void> | undefined;

/**
 * Selects the wasm backend and waits until its module is compiled. Memoized per thread (each
 * worker thread loads its own tfjs), so every entry point may call it; a failure can be retried.
 */
export function initBackend(): Promise<void> {
  ready ??= (async () => {
    if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to initialize');
    await tf.ready();
  })().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}
