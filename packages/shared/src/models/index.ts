export * from './inputs.js';
export * from './known-models.js';
export * from './registry.js';
export * from './routing.js';
export * from './rollout-stats.js';
