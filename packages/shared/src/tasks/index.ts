export * from './cancellation.js';
export * from './events.js';
export * from './ids.js';
export * from './job-status.js';
export * from './resource.js';
export * from './status.js';
