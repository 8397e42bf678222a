import { Queue } from 'bullmq';

/** Empties a queue and its jobs, so a measurement starts from the same Redis state as the last one. */
export async function obliterateQueue(redisUrl: string, prefix: string, name: string): Promise<void> {
  const queue = new Queue(name, { prefix, connection: { url: redisUrl } });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}
