/** Ceiling for the worker side: a BullMQ Worker whose processor does nothing. Run as its own process. */
import { Worker } from 'bullmq';

const prefix = process.env.QUEUE_PREFIX;
const redisUrl = process.env.REDIS_URL;
const concurrency = Number(process.env.CONCURRENCY);
if (!prefix || !redisUrl || !concurrency) throw new Error('QUEUE_PREFIX, REDIS_URL and CONCURRENCY are required');

const worker = new Worker('predict', async () => null, {
  prefix,
  concurrency,
  connection: { url: redisUrl, maxRetriesPerRequest: null },
});
worker.on('error', (error) => console.error(error));

process.once('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
