export * from './env.js';
export * from './errors.js';
export * from './logger.js';
export * from './names.js';
export * from './redis.js';
export * from './redis-batch.js';
export * from './seeded-random.js';
export * from './entry.js';
