import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { TaskBacklog } from '../src/jobs/backlog.js';
import { ExpiryRefresh } from '../src/platform/expiry-refresh.js';
import { TaskIndex } from '../src/jobs/task-index.js';
import { newTaskId } from '../src/tasks/ids.js';

const prefix = testPrefix('task-index');
const redis = new Redis(redisUrl);
const index = new TaskIndex(redis, prefix);

afterEach(async () => {
  await deletePrefix(prefix);
});

afterAll(() => {
  redis.disconnect();
});

/** Admits tasks at the given submit times (epoch ms), as submissions do; answers their ids. */
async function admitAt(backlog: TaskBacklog, tenant: string, times: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const at of times) {
    const id = newTaskId('predict');
    expect(await backlog.admit(tenant, 'predict', id, 1_000_000, at)).not.toBeNull();
    ids.push(id);
  }
  return ids;
}

describe("a tenant's task index", () => {
  it('is written by the admit, newest first, per tenant; a refused task is not in it', async () => {
    const backlog = new TaskBacklog(redis, prefix, { retentionSeconds: 3_600, retentionCount: 100 });
    const now = Date.now();
    const [a, b, c] = await admitAt(backlog, 'acme', [now - 2, now - 1, now]);
    await admitAt(backlog, 'globex', [now]);
    expect((await index.page('acme', null, null, 10)).map((entry) => entry.taskId)).toEqual([c, b, a]);
    expect(await backlog.admit('acme', 'predict', newTaskId('predict'), 3, now)).toBeNull();
    expect(await index.page('acme', null, null, 10)).toHaveLength(3);
    expect((await index.page('acme', null, now - 1, 10)).map((entry) => entry.taskId)).toEqual([c, b]);
  });

  it('pages exactly through tasks submitted in the same millisecond', async () => {
    const backlog = new TaskBacklog(redis, prefix, { retentionSeconds: 3_600, retentionCount: 100 });
    const now = Date.now();
    const ids = await admitAt(backlog, 'acme', Array.from({ length: 7 }, () => now));
    const seen: string[] = [];
    for (let page = await index.page('acme', null, null, 2); page.length; page = await index.page('acme', page.at(-1)!, null, 2)) {
      seen.push(...page.map((entry) => entry.taskId));
    }
    expect(seen).toEqual([...ids].sort().reverse());
  });

  it('keeps at most what retention can hold: twice TASK_RETENTION_S back, 6 × TASK_RETENTION_COUNT tasks', async () => {
    // Upkeep with every admission: what one process's once-a-second upkeep converges to.
    const backlog = new TaskBacklog(redis, prefix, { retentionSeconds: 10, retentionCount: 1 }, 1, new ExpiryRefresh(0));
    const now = Date.now();
    const [stale] = await admitAt(backlog, 'acme', [now - 21_000]);
    const recent = await admitAt(backlog, 'acme', [now - 5, now - 4, now - 3, now - 2, now - 1, now, now + 1]);
    const kept = (await index.page('acme', null, null, 100)).map((entry) => entry.taskId);
    expect(kept).not.toContain(stale);
    expect(kept).toEqual(recent.slice(1).reverse());
    expect(await redis.pttl(index.key('acme'))).toBeGreaterThan(19_000);
  });

  it("is trimmed and its expiry refreshed once a second per process: with the first admission, then a second on", async () => {
    const backlog = new TaskBacklog(redis, prefix, { retentionSeconds: 10, retentionCount: 1 });
    const now = Date.now();
    await admitAt(backlog, 'acme', [now]);
    expect(await redis.pttl(index.key('acme'))).toBeGreaterThan(19_000);
    await admitAt(backlog, 'acme', Array.from({ length: 7 }, (_, i) => now + 1 + i));
    expect(await redis.zcard(index.key('acme'))).toBe(8);
    const [latest] = await admitAt(backlog, 'acme', [now + 1_000]);
    expect(await redis.zcard(index.key('acme'))).toBe(6);
    expect((await index.page('acme', null, null, 1))[0]!.taskId).toBe(latest);
  });

  it('keeps the upkeep due when an admission is refused, so the index it then creates expires', async () => {
    const backlog = new TaskBacklog(redis, prefix, { retentionSeconds: 10, retentionCount: 1 });
    const now = Date.now();
    expect(await backlog.admit('acme', 'predict', newTaskId('predict'), 0, now)).toBeNull();
    await admitAt(backlog, 'acme', [now + 1]);
    expect(await redis.pttl(index.key('acme'))).toBeGreaterThan(19_000);
  });
});

describe('with three queue shards', () => {
  const sharded = () => new TaskBacklog(redis, prefix, { retentionSeconds: 3_600, retentionCount: 100 }, 3);

  it('indexes each task in its shard and pages through every shard newest first, exactly', async () => {
    const backlog = sharded();
    const now = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) {
      const id = newTaskId('predict', i % 3);
      expect(await backlog.admit('acme', 'predict', id, 1_000_000, now - Math.floor(i / 2))).not.toBeNull();
      ids.push(id);
    }
    for (const shard of [0, 1, 2]) expect(await redis.zcard(index.key('acme', shard))).toBe(3);
    const all = new TaskIndex(redis, prefix, [0, 1, 2]);
    const seen: string[] = [];
    for (let page = await all.page('acme', null, null, 2); page.length; page = await all.page('acme', page.at(-1)!, null, 2)) {
      seen.push(...page.map((entry) => entry.taskId));
    }
    const newestFirst = ids.map((id, i) => ({ id, at: now - Math.floor(i / 2) })).sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
    expect(seen).toEqual(newestFirst.map(({ id }) => id));
  });

  it('counts the tenant’s unfinished tasks of every shard against its quota', async () => {
    const backlog = sharded();
    const now = Date.now();
    for (const shard of [0, 1, 2]) expect(await backlog.admit('acme', 'predict', newTaskId('predict', shard), 3, now)).toBe(0);
    expect(await backlog.admit('acme', 'train', newTaskId('train', 1), 3, now)).toBeNull();
    const finished = newTaskId('predict', 2);
    expect(await backlog.admit('acme', 'predict', finished, 4, now)).toBe(1);
    await backlog.finished('acme', 'predict', finished);
    expect(await backlog.admit('acme', 'train', newTaskId('train', 2), 4, now)).toBe(0);
  });
});
