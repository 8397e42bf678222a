export * from './backlog.js';
export * from './batch.js';
export * from './catalog.js';
export * from './deadlines.js';
export * from './fields.js';
export * from './options.js';
export * from './predict.js';
export * from './train.js';
