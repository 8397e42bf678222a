export * from './answered.js';
export * from './cancellation.js';
export * from './events.js';
export * from './ids.js';
export * from './job-status.js';
export * from './reader.js';
export * from './resource.js';
export * from './status.js';
