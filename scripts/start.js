// `npm start`: the API and one worker on embedded defaults (Redis at REDIS_URL, storage under .data/).
import { adminKey } from './admin-key.js';
import { apiNodeFlags, ensureRedis, metricsPort, startNode, superviseChildren } from './processes.js';

const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const children = [];
await ensureRedis(redisUrl, children);
children.push(startNode('apps/api/dist/main.js', { REDIS_URL: redisUrl, BOOTSTRAP_API_KEY: adminKey(), ...metricsPort(0) }, apiNodeFlags));
children.push(startNode('apps/worker/dist/main.js', { REDIS_URL: redisUrl, ...metricsPort(1) }));
superviseChildren(children);
