import { availableParallelism, cpus, loadavg } from 'node:os';
import { Redis } from 'ioredis';

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  redis: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number;
}

/** What the figures were measured on: they mean little without it. */
export async function describeMachine(redisUrl: string): Promise<Machine> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const info = await redis.info('server');
    return {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      node: process.version,
      redis: /^redis_version:(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown',
      loadAverage: loadavg()[0]!,
    };
  } finally {
    redis.disconnect();
  }
}
