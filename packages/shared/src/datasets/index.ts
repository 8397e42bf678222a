export * from './catalog.js';
export * from './check.js';
export * from './records.js';
export * from './samples.js';
export * from './training-data.js';
