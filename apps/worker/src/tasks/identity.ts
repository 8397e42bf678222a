import { hostname } from 'node:os';

/** Recorded on every task this process runs, so users can see which replica did the work. */
export const workerName = `${hostname()}:${process.pid}`;
