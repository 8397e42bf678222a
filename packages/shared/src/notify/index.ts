export * from './job.js';
export * from './net-guard.js';
export * from './queue.js';
export * from './request.js';
export * from './webhooks.js';
