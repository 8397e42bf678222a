/**
 * Ceiling for the submit path: the least an HTTP front of BullMQ can do. Its only route parses JSON
 * and does one queue.add; no validation, no ids, no bookkeeping. Run as its own process.
 */
import { Queue } from 'bullmq';
import { serveCeiling } from './ceiling-app.js';

const port = Number(process.env.PORT);
const prefix = process.env.QUEUE_PREFIX;
const redisUrl = process.env.REDIS_URL;
if (!port || !prefix || !redisUrl) throw new Error('PORT, QUEUE_PREFIX and REDIS_URL are required');

const queue = new Queue('predict', { prefix, connection: { url: redisUrl } });
serveCeiling(
  port,
  (app) =>
    app.post('/v1/predict', async (req, res) => {
      const job = await queue.add('predict', req.body);
      res.status(202).json({ task_id: job.id });
    }),
  () => queue.close(),
);
