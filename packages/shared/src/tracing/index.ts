// otel.ts is not exported: it is imported dynamically, and only when tracing is configured.
export * from './store.js';
export * from './tracing.js';
