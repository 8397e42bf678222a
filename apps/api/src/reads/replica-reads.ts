import type { Request, Response } from 'express';
import { InvalidRequestError, replicationPosition, type RedisClient } from '@trainyard/shared/platform';

/**
 * Read-your-writes across a replica: each answer tells the client, in this header, the primary's
 * replication offset its data reaches (a "seen" token); the client sends it back, and a read goes
 * to the replica only when the replica has applied at least that much. The typed client and the
 * CLI carry it on their own.
 */
export const seenHeader = 'trainyard-seen';

/** One side of the reads: the connection and the dependencies built on it. */
export interface ReadSide<D> {
  redis: RedisClient;
  deps: D;
}

export interface Routed<T> {
  value: T;
  /** What the answer's data reaches; undefined without a replica (no token to carry then). */
  seen: bigint | undefined;
}

/**
 * Runs reads on a replica when it can answer as well as the primary would for this client, else on
 * the primary. A replica answer is used when, on the replica's own connection, INFO before the read
 * shows it linked to its primary and at least at the client's token, and the read found what it was
 * after (`complete`): a task the replica does not know yet, or an error, goes to the primary. That
 * costs the primary nothing when the replica is caught up, and one read plus one INFO otherwise.
 */
export class ReplicaReads<D> {
  constructor(
    private readonly primary: ReadSide<D>,
    private readonly replica: ReadSide<D> | null,
    /** Told which server gave each routed read's answer (a metric: how often the replica falls short). */
    private readonly answered: (server: 'replica' | 'primary') => void = () => {},
  ) {}

  async read<T>(seen: bigint | undefined, read: (deps: D) => Promise<T>, complete: (value: T) => boolean = () => true): Promise<Routed<T>> {
    if (!this.replica) return { value: await read(this.primary.deps), seen: undefined };
    // A replica that fails (unreachable, or the task not there yet) leaves the answer to the primary.
    const fromReplica = await this.onReplica(this.replica, seen, read, complete).catch(() => null);
    this.answered(fromReplica ? 'replica' : 'primary');
    return fromReplica ?? this.onPrimary(seen, read);
  }

  /** For answers that only the primary gives (a wait's end, a cancel): read there and say what that reaches. */
  async onPrimary<T>(seen: bigint | undefined, read: (deps: D) => Promise<T>): Promise<Routed<T>> {
    const value = await read(this.primary.deps);
    return { value, seen: this.replica ? max(seen, (await replicationPosition(this.primary.redis)).offset) : undefined };
  }

  private async onReplica<T>(replica: ReadSide<D>, seen: bigint | undefined, read: (deps: D) => Promise<T>, complete: (value: T) => boolean): Promise<Routed<T> | null> {
    // One connection runs commands in the order they are sent: INFO first, so the data read reaches at least this far.
    const [before, value] = await Promise.all([replicationPosition(replica.redis), read(replica.deps)]);
    if (!before.replicating || (seen !== undefined && before.offset < seen) || !complete(value)) return null;
    // The data may reach past `before`: the token the client gets must cover all it saw, for any other replica.
    const after = await replicationPosition(replica.redis);
    return { value, seen: max(seen, after.offset) };
  }
}

const max = (a: bigint | undefined, b: bigint) => (a === undefined || b > a ? b : a);

/** The client's token, if it sent one; a malformed one is a 400 rather than a silently stale read. */
export function seenOf(req: Request): bigint | undefined {
  const value = req.get(seenHeader);
  if (value === undefined) return undefined;
  if (!/^\d{1,19}$/.test(value)) {
    throw new InvalidRequestError(`${seenHeader}: a token this API sent (a replication offset)`, [{ path: seenHeader, message: 'digits only, as sent' }]);
  }
  return BigInt(value);
}

export function tellSeen(res: Response, seen: bigint | undefined): void {
  if (seen !== undefined) res.setHeader(seenHeader, seen.toString());
}
