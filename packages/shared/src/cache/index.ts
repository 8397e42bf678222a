export * from './connection.js';
export * from './predictions.js';
export * from './semantic.js';
