import type { RedisClient } from './redis.js';

/** How far into the primary's write stream a server's data reaches, from INFO replication. */
export interface ReplicationPosition {
  /** Bytes of the primary's replication stream applied: master_repl_offset on a primary, slave_repl_offset on a replica. */
  offset: bigint;
  /** A replica whose link to its primary is up; false for a primary, or a replica cut off from it. */
  replicating: boolean;
}

export async function replicationPosition(redis: RedisClient): Promise<ReplicationPosition> {
  return positionOf(await redis.info('replication'));
}

/** Parses INFO replication's lines; offsets are 64-bit, hence bigint. */
export function positionOf(info: string): ReplicationPosition {
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const replica = field('role') === 'slave';
  const offset = field(replica ? 'slave_repl_offset' : 'master_repl_offset');
  return { offset: BigInt(offset && /^-?\d+$/.test(offset) ? offset : 0), replicating: replica && field('master_link_status') === 'up' };
}
