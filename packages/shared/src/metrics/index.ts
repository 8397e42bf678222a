export * from './collectors.js';
export * from './env.js';
export * from './registry.js';
export * from './server.js';
