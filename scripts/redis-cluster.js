// A private Redis Cluster for the tests (test/support/redis-cluster.ts) and the bench's sharded-queue
// figures (bench/src/shards.ts): plain JavaScript, like processes.js, so both can import it.
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { hashSlot } from '@trainyard/shared/platform';

const run = promisify(execFile);

/**
 * A private Redis Cluster of three masters with a replica each, on private ports, its node files in
 * a temporary folder; `stop()` ends every process and removes the folder. The node timeout is short
 * (2 s) so a killed master's replica takes over within seconds.
 */
export class PrivateCluster {
  constructor(dir, nodes) {
    this.dir = dir;
    this.nodes = nodes;
  }

  static async start() {
    const dir = mkdtempSync(join(tmpdir(), 'ty-cluster-'));
    const nodes = [];
    const cluster = new PrivateCluster(dir, nodes);
    try {
      const used = new Set();
      for (let i = 0; i < 6; i++) nodes.push(await launchAnswering(dir, used));
      await run('redis-cli', ['--cluster', 'create', ...nodes.map(({ port }) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes']);
      await cluster.untilHealthy();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** The seed nodes as REDIS_URL: two are enough for a client to find the rest. */
  get url() {
    return `redis+cluster://${this.nodes
      .slice(0, 2)
      .map(({ port }) => `127.0.0.1:${port}`)
      .join(',')}`;
  }

  /** The ports of the nodes still running. */
  get ports() {
    return this.nodes.filter(({ child }) => child.exitCode === null && child.signalCode === null).map(({ port }) => port);
  }

  /**
   * Waits until every running node reports cluster_state:ok and they agree on one master per slot
   * range, each of them running (after a kill: once a replica took over).
   */
  async untilHealthy(timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.ports;
      const states = await Promise.all(live.map((port) => ask(port, 'CLUSTER', 'INFO').catch(() => '')));
      const views = await Promise.all(live.map((port) => this.slotMasters(port).catch(() => '')));
      const masters = views[0]?.match(/@\d+/g)?.map((master) => Number(master.slice(1))) ?? [];
      const agreed = new Set(views).size === 1 && masters.length > 0 && masters.every((port) => live.includes(port));
      if (states.every((info) => /cluster_state:ok/.test(String(info))) && agreed) return;
      if (Date.now() > deadline) throw new Error(`the cluster is not healthy after ${timeoutMs} ms: ${JSON.stringify(states)}`);
      await sleep(100);
    }
  }

  /** The port of the master that holds `key`'s slot, as node `via` sees it. */
  async masterOf(key, via = this.ports[0]) {
    const slot = hashSlot(key);
    const ranges = (await ask(via, 'CLUSTER', 'SLOTS'));
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`no master for slot ${slot}`);
    return range[2][1];
  }

  /** Kills one node at once (SIGKILL), as a crashed host. */
  async kill(port) {
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (!node || node.child.exitCode !== null || node.child.signalCode !== null) return;
    const exited = once(node.child, 'exit');
    node.child.kill('SIGKILL');
    await exited;
  }

  /**
   * Starts a killed node again on its port with its node file: it rejoins the cluster, as the
   * replica of the master that took over from it. Resolves once that master has it as a replica.
   */
  async restart(port, timeoutMs = 30_000) {
    const node = this.nodes.find((candidate) => candidate.port === port);
    node.child = launch(this.dir, port, node.busPort);
    if (!(await untilAnswers(port, node.child))) throw new Error(`redis-server could not start again on port ${port}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const replication = String(await ask(port, 'INFO', 'replication').catch(() => ''));
      if (/role:slave/.test(replication) && /master_link_status:up/.test(replication)) return;
      if (Date.now() > deadline) throw new Error(`node ${port} did not rejoin as a replica within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  async stop() {
    await Promise.all(this.nodes.map(({ port }) => this.kill(port)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  async slotMasters(port) {
    const ranges = (await ask(port, 'CLUSTER', 'SLOTS'));
    return ranges
      .map(([from, to, [, masterPort]]) => `${from}-${to}@${masterPort}`)
      .sort()
      .join(' ');
  }
}

function launch(dir, port, busPort) {
  return spawn(
    'redis-server',
    [
      ...['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1'],
      ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'],
      ...['--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
    ],
    { stdio: 'ignore' },
  );
}

/** One command to one node on a short-lived connection. */
async function ask(port, ...command) {
  const redis = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await redis.call(...command);
  } finally {
    redis.disconnect();
  }
}

/**
 * Starts a node on two free ports no other node uses. A port found free can be taken before
 * redis-server binds it (by an outgoing connection on a busy machine), which makes it exit: then
 * it starts again on two other ports.
 */
async function launchAnswering(dir, used) {
  for (let attempt = 1; ; attempt++) {
    // The bus port is set too: the default, port + 10000, may be taken or out of range.
    const [port, busPort] = [await unusedFreePort(used), await unusedFreePort(used)];
    const child = launch(dir, port, busPort);
    if (await untilAnswers(port, child)) return { port, busPort, child };
    if (attempt === 5) throw new Error(`redis-server exited at start ${attempt} times, last on port ${port}`);
  }
}

async function unusedFreePort(used) {
  for (;;) {
    const port = await freePort();
    if (used.has(port)) continue;
    used.add(port);
    return port;
  }
}

/** True once the node answers PING; false if it exited first (its port was taken). */
async function untilAnswers(port, child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (child.exitCode === null && child.signalCode === null) {
    if (await ask(port, 'PING').then(() => true, () => false)) return true;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
    await sleep(50);
  }
  return false;
}

/** A free TCP port on loopback, chosen by the kernel. */
async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}
