import { createHash } from 'node:crypto';
import { redisScript, type RedisClient } from './redis.js';
import { hashSlot } from './redis-url.js';

/**
 * A kind of small write (or check) that several callers make often: an event appended, a flag read,
 * rows cached. Its Lua is the body of `function(keys, args)`, run alone (singleOpScript) or with
 * other ops in one script (RedisBatch); nil reads as 0.
 */
export interface ScriptOpKind {
  name: string;
  lua: string;
}

/** One op of a kind, with its own keys and arguments. */
export interface ScriptOp {
  kind: ScriptOpKind;
  keys: string[];
  args: (string | number)[];
}

/** How many of its keys exist: a check that passes at 0, such as a task's cancel flag. Checks of one slot can go as one op. */
export const keysExistOp: ScriptOpKind = { name: 'keys-exist', lua: `return redis.call('EXISTS', unpack(keys))` };

const commandName = (lua: string) => `trainyard_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`;

/** Runs one op of the kind as a command of its own. */
export function singleOpScript(redis: RedisClient, kind: ScriptOpKind): (op: ScriptOp) => Promise<unknown> {
  const lua = `local function op(keys, args)\n${kind.lua}\nend\nreturn op(KEYS, ARGV) or 0`;
  const call = redisScript(redis, commandName(lua), lua);
  return (op) => call(op.keys.length, ...op.keys, ...op.args);
}

// ARGV[1] lists the ops, four numbers each: its kind (an index into kinds), how many keys and how
// many arguments it has, and how many of the ops after it it guards (0: none); the ops' arguments
// follow it. KEYS are every op's keys in order. Counts go in one argument, not four per op: a client
// spends more per argument than Redis spends per number read here. An op's error is its own reply;
// the others still run. A guard that answers anything but 0, or fails, skips the ops it guards
// (each answers 0).
const interpreter = `
local results, n, k, a, skip = {}, 0, 0, 1, 0
for kind, nkeys, nargs, guarded in string.gmatch(ARGV[1], '(%d+) (%d+) (%d+) (%d+)') do
  n, nkeys, nargs = n + 1, tonumber(nkeys), tonumber(nargs)
  if skip > 0 then
    skip = skip - 1
    results[n] = 0
  else
    local keys, args = {}, {}
    for i = 1, nkeys do keys[i] = KEYS[k + i] end
    for i = 1, nargs do args[i] = ARGV[a + i] end
    local ok, result = pcall(kinds[tonumber(kind)], keys, args)
    if ok then
      results[n] = result or 0
    elseif type(result) == 'table' then
      results[n] = result
    else
      results[n] = redis.error_reply(tostring(result))
    end
    if guarded ~= '0' and not (ok and (result == 0 or not result)) then skip = tonumber(guarded) end
  end
  k, a = k + nkeys, a + nargs
end
return results`;

/** The hash slot an op's keys are in (a cluster script's keys share one). */
const slotOf = (op: ScriptOp): number => (op.keys[0] === undefined ? 0 : hashSlot(op.keys[0]));

/** Keys and arguments one script carries at most: a call spreads them as JavaScript arguments. */
const maxItems = 60_000;

const itemsOf = (op: ScriptOp) => op.keys.length + op.args.length + 1;

/** An op queued in a batch. */
export interface SentOp<T> {
  /**
   * Resolves once the op's command is handed to the connection: any command sent on the same
   * connection after that runs after the op, with no need to wait for its reply.
   */
  sent: Promise<void>;
  /** The op's result, once its script has run. */
  done: Promise<T>;
}

interface Pending {
  op: ScriptOp;
  /** How many of the ops after it it guards. */
  guarded: number;
  sent: () => void;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Every op asked of it within one turn of the event loop goes to Redis as one script: under load
 * the bookkeeping of many tasks costs one command and one round trip, not one each. Ops run in the
 * order they were asked for, so an op asked for after another is never applied before it. On a
 * cluster a script runs in one hash slot: the ops go as one script per slot (per queue shard),
 * each slot's in their order.
 */
export class RedisBatch {
  /** Each kind's index in the script's table of kinds. */
  private readonly kinds: ReadonlyMap<string, number>;
  private readonly run: (...args: (string | number)[]) => Promise<unknown>;
  private readonly perSlot: boolean;
  private pending: Pending[] = [];
  private pendingItems = 0;

  constructor(
    readonly redis: RedisClient,
    kinds: readonly ScriptOpKind[],
  ) {
    this.kinds = new Map(kinds.map((kind, i) => [kind.name, i + 1]));
    const table = kinds.map((kind, i) => `kinds[${i + 1}] = function(keys, args) -- ${kind.name}\n${kind.lua}\nend`).join('\n');
    const lua = `local kinds = {}\n${table}\n${interpreter}`;
    this.run = redisScript(redis, commandName(lua), lua);
    this.perSlot = 'isCluster' in redis && redis.isCluster;
  }

  /** Whether two ops go to Redis in the same script when asked for in the same turn. */
  together(a: ScriptOp, b: ScriptOp): boolean {
    return !this.perSlot || slotOf(a) === slotOf(b);
  }

  /** Queues an op; resolves with its result once the script that carries it has run. */
  write<T = unknown>(op: ScriptOp): Promise<T> {
    return this.send<T>(op).done;
  }

  /** Queues an op, telling apart the moment its command leaves (`sent`) from its result (`done`). */
  send<T = unknown>(op: ScriptOp): SentOp<T> {
    this.assertRuns(op);
    this.makeRoom(itemsOf(op));
    return this.queue<T>(op, 0);
  }

  /**
   * Queues checks and the ops that may only run when they pass, as one script's consecutive ops: a
   * check that answers anything but 0 (or fails) skips every op after it here, later checks
   * included, and those answer 0. They all share one slot of a cluster (see `together`).
   */
  sendGuarded(checks: readonly ScriptOp[], ops: readonly ScriptOp[]): { checks: SentOp<number>[]; ops: SentOp<unknown>[] } {
    const group = [...checks, ...ops];
    group.forEach((op) => this.assertRuns(op));
    if (group.some((op) => !this.together(op, group[0]!))) throw new Error('guarded ops must share one slot');
    this.makeRoom(group.reduce((items, op) => items + itemsOf(op), 0));
    return {
      checks: checks.map((check, i) => this.queue<number>(check, group.length - i - 1)),
      ops: ops.map((op) => this.queue(op, 0)),
    };
  }

  /** A batch that `items` more would overfill goes now: its command is written before theirs. */
  private makeRoom(items: number): void {
    if (this.pending.length && this.pendingItems + items > maxItems) void this.flush();
    this.pendingItems += items;
  }

  private assertRuns(op: ScriptOp): void {
    if (!this.kinds.has(op.kind.name)) throw new Error(`this batch runs no ${op.kind.name} ops`);
  }

  private queue<T>(op: ScriptOp, guarded: number): SentOp<T> {
    let sent = () => {};
    const sending = new Promise<void>((resolve) => (sent = resolve));
    const done = new Promise<T>((resolve, reject) => {
      if (this.pending.push({ op, guarded, sent, resolve: resolve as (result: unknown) => void, reject }) === 1) setImmediate(() => void this.flush());
    });
    return { sent: sending, done };
  }

  private async flush(): Promise<void> {
    const pending = this.pending;
    if (!pending.length) return;
    this.pending = [];
    this.pendingItems = 0;
    if (!this.perSlot) return this.runScript(pending);
    const bySlot = new Map<number, Pending[]>();
    for (const entry of pending) {
      const slot = slotOf(entry.op);
      const batch = bySlot.get(slot);
      if (batch) batch.push(entry);
      else bySlot.set(slot, [entry]);
    }
    await Promise.all([...bySlot.values()].map((batch) => this.runScript(batch)));
  }

  private async runScript(batch: Pending[]): Promise<void> {
    const keys: string[] = [];
    const ops: string[] = [];
    const args: (string | number)[] = [''];
    for (const { op, guarded } of batch) {
      ops.push(`${this.kinds.get(op.kind.name)} ${op.keys.length} ${op.args.length} ${guarded}`);
      for (const key of op.keys) keys.push(key);
      for (const arg of op.args) args.push(arg);
    }
    args[0] = ops.join(' ');
    let reply: Promise<unknown>;
    try {
      // ioredis hands the command to the connection as it is called: from here on it is ahead of any later one.
      reply = this.run(keys.length, ...keys, ...args);
    } catch (error) {
      reply = Promise.reject(error);
    }
    for (const { sent } of batch) sent();
    try {
      const results = (await reply) as unknown[];
      batch.forEach(({ resolve, reject }, i) => (results[i] instanceof Error ? reject(results[i]) : resolve(results[i])));
    } catch (error) {
      for (const { reject } of batch) reject(error);
    }
  }
}
