import type { ObjectStore } from '../storage/object-store.js';
import type { Tracing } from './tracing.js';

/** The store with a span around each call that reaches storage (`storage.put` with its key, …). */
export function tracedStore(store: ObjectStore, tracing: Tracing): ObjectStore {
  if (!tracing.enabled) return store;
  const traced = <A extends unknown[], R>(operation: string, call: (key: string, ...rest: A) => Promise<R>) =>
    (key: string, ...rest: A) => tracing.span(`storage.${operation}`, { 'storage.key': key }, () => call(key, ...rest));
  return {
    put: traced('put', (key, body: Parameters<ObjectStore['put']>[1]) => store.put(key, body)),
    putIfAbsent: traced('putIfAbsent', (key, body: Parameters<ObjectStore['putIfAbsent']>[1]) => store.putIfAbsent(key, body)),
    get: traced('get', (key) => store.get(key)),
    getStream: traced('getStream', (key) => store.getStream(key)),
    head: traced('head', (key) => store.head(key)),
    delete: traced('delete', (key) => store.delete(key)),
    list: (prefix) => store.list(prefix),
    ping: () => store.ping(),
  };
}
