import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** A free TCP port on loopback, chosen by the kernel. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** A private redis-server on its own port, so a test can stop and restart it without touching anyone else's. */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    /** More redis-server options, such as `--replicaof host port`. */
    private readonly options: string[],
  ) {}

  static async start(options: string[] = []): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), options);
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.options], {
      stdio: 'ignore',
    });
    const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        await sleep(50);
      }
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}

/**
 * A private primary and a `--replicaof` replica, each its own redis-server on a free port, with a
 * lag the test controls: `lag()` holds the replica's replication stream (CLIENT PAUSE WRITE on the
 * replica postpones its master link's commands too, while reads go on), `catchUp()` lets it apply
 * what it holds and waits until it has everything the primary wrote.
 */
export class PrivateReplicatedRedis {
  private constructor(
    readonly primary: PrivateRedis,
    readonly replica: PrivateRedis,
    private readonly replicaAdmin: Redis,
    private readonly primaryAdmin: Redis,
    private readonly dirs: string[],
  ) {}

  static async start(): Promise<PrivateReplicatedRedis> {
    // A replica's first sync goes through RDB files: in directories of their own, not the caller's.
    const dirs = [mkdtempSync(join(tmpdir(), 'ty-primary-')), mkdtempSync(join(tmpdir(), 'ty-replica-'))];
    const primary = await PrivateRedis.start(['--dir', dirs[0]!]);
    const replica = await PrivateRedis.start(['--dir', dirs[1]!, '--replicaof', '127.0.0.1', String(primary.port)]);
    // The admin connections outlive a server the test stops, reconnecting quietly.
    const [replicaAdmin, primaryAdmin] = [new Redis(replica.url), new Redis(primary.url)];
    for (const admin of [replicaAdmin, primaryAdmin]) admin.on('error', () => {});
    const pair = new PrivateReplicatedRedis(primary, replica, replicaAdmin, primaryAdmin, dirs);
    await pair.catchUp();
    return pair;
  }

  /** Holds the replica `ms` behind (until catchUp() at the latest). */
  async lag(ms = 60_000): Promise<void> {
    await this.replicaAdmin.client('PAUSE', ms, 'WRITE');
  }

  /** Ends any lag and resolves once the replica has applied every write the primary has made. */
  async catchUp(timeoutMs = 10_000): Promise<void> {
    await this.replicaAdmin.client('UNPAUSE');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [primary, replica] = await Promise.all([replicationOf(this.primaryAdmin), replicationOf(this.replicaAdmin)]);
      if (replica.master_link_status === 'up' && replica.slave_repl_offset === primary.master_repl_offset) return;
      if (Date.now() > deadline) throw new Error(`replica not caught up within ${timeoutMs} ms: ${JSON.stringify({ primary, replica })}`);
      await sleep(20);
    }
  }

  /** Calls of each command each server has run since the last resetCounts(), from INFO commandstats. */
  async commandCounts(): Promise<{ primary: Map<string, number>; replica: Map<string, number> }> {
    const [primary, replica] = await Promise.all([commandCountsOf(this.primaryAdmin), commandCountsOf(this.replicaAdmin)]);
    return { primary, replica };
  }

  async resetCounts(): Promise<void> {
    await Promise.all([this.primaryAdmin.config('RESETSTAT'), this.replicaAdmin.config('RESETSTAT')]);
  }

  async stop(): Promise<void> {
    this.replicaAdmin.disconnect();
    this.primaryAdmin.disconnect();
    await Promise.all([this.replica.stop(), this.primary.stop()]);
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}

async function replicationOf(redis: Redis): Promise<Record<string, string>> {
  return fieldsOf(await redis.info('replication'));
}

/** `cmdstat_evalsha:calls=3,usec=…` lines as command → calls. */
async function commandCountsOf(redis: Redis): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const [name, value] of Object.entries(fieldsOf(await redis.info('commandstats')))) {
    const calls = /calls=(\d+)/.exec(value);
    if (name.startsWith('cmdstat_') && calls) counts.set(name.slice('cmdstat_'.length), Number(calls[1]));
  }
  return counts;
}

function fieldsOf(info: string): Record<string, string> {
  return Object.fromEntries(
    info
      .split('\r\n')
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
  );
}
