export * from './inputs.js';
export * from './registry.js';
