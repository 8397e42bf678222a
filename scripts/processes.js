// Starting and stopping the platform's processes for `npm start` and `npm run worker`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';

/** True when something accepts TCP connections at the URL's host and port within the timeout. */
export function reachable(url, timeoutMs = 1_000) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 6379) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Makes sure a Redis answers at REDIS_URL: when none does and redis-server is installed, starts a
 * private one with its data under .data/redis; otherwise tells the user how to get one and exits.
 */
export async function ensureRedis(url, children) {
  if (await reachable(url)) return;
  const { hostname, port } = new URL(url);
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
  if (!local || spawnSync('redis-server', ['--version']).status !== 0) {
    console.error(
      `No Redis answers at ${url}.\n` +
        'Trainyard keeps its queues in Redis 7. Either install it (Debian/Ubuntu: `sudo apt-get install redis-server`,\n' +
        'macOS: `brew install redis`) and run `npm start` again, start one with Docker:\n' +
        '  docker run -d --name trainyard-redis -p 6379:6379 redis:7-bookworm --maxmemory-policy noeviction\n' +
        'or point REDIS_URL at a Redis you have.',
    );
    process.exit(1);
  }
  mkdirSync('.data/redis', { recursive: true });
  console.log(`No Redis at ${url}: starting a private redis-server on port ${port || 6379} (data in .data/redis)`);
  const args = ['--port', port || '6379', '--bind', '127.0.0.1', '--dir', '.data/redis', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'];
  children.push(spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] }));
  for (let i = 0; i < 50 && !(await reachable(url)); i++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * V8 flags for the API: it holds no state, so a bounded young generation and a capped old one keep
 * its memory near what it uses (without them V8 grows the heap lazily under load: ~195 MB at peak, ~110 MB with them).
 * The Dockerfile and `npm run api` pass the same flags.
 */
export const apiNodeFlags = ['--max-semi-space-size=8', '--max-old-space-size=128'];

/**
 * Processes started together on one host cannot share a metrics port: the n-th gets METRICS_PORT + n
 * (none when METRICS_PORT is unset, or 0, which picks a free port anyway).
 */
export function metricsPort(offset) {
  const base = Number(process.env.METRICS_PORT);
  return base > 0 ? { METRICS_PORT: String(base + offset) } : {};
}

/** Runs a Node entry point as a child sharing this terminal. */
export function startNode(entry, env = {}, nodeFlags = []) {
  return spawn(process.execPath, [...nodeFlags, entry], { stdio: 'inherit', env: { ...process.env, ...env } });
}

/** Forwards SIGINT/SIGTERM to every child, and stops all of them when any one exits. */
export function superviseChildren(children) {
  let stopping = false;
  const stopAll = (signal) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) if (child.exitCode === null) child.kill(signal);
  };
  process.on('SIGINT', () => stopAll('SIGTERM'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));
  let running = children.length;
  for (const child of children) {
    child.once('exit', (code) => {
      if (!stopping && code !== 0) process.exitCode = code ?? 1;
      stopAll('SIGTERM');
      if (--running === 0) process.exit();
    });
  }
}
