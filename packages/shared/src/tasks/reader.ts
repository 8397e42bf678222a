import type { JobQueues } from '../jobs/catalog.js';
import type { TaskDeadline } from '../jobs/deadlines.js';
import { redisScript, type RedisClient } from '../platform/redis.js';
import { answeredTaskOf, type AnsweredTasks } from './answered.js';
import { revokedTaskOf, type RevokedTask, type TaskCancellation } from './cancellation.js';
import { parseLogEntry, type TaskEventLog, type LoggedTaskEvent } from './events.js';
import type { TaskType } from './ids.js';
import type { StatusSource } from './job-status.js';
import type { TaskJob, TaskResource } from './resource.js';
import type { TaskRetries } from './retries.js';
import type { JobState } from './status.js';

// A task's job state, job hash and event log in one atomic read, so a state never comes with an
// older hash (a SUCCESS without its result). The state is found as BullMQ's getStateV2 finds it.
// KEYS: completed, failed, delayed, prioritized, active, wait, paused, waiting-children, the job
// hash, the event log, the revoked record, the answered record, the retried-by record. ARGV: the job id.
// Flagged no-writes so a replica runs it (REDIS_READ_URL), even while it applies its primary's writes.
const readScript = `#!lua flags=no-writes
local id = ARGV[1]
local state = 'unknown'
if redis.call('ZSCORE', KEYS[1], id) then state = 'completed'
elseif redis.call('ZSCORE', KEYS[2], id) then state = 'failed'
elseif redis.call('ZSCORE', KEYS[3], id) then state = 'delayed'
elseif redis.call('ZSCORE', KEYS[4], id) then state = 'prioritized'
elseif redis.call('LPOS', KEYS[5], id) then state = 'active'
elseif redis.call('LPOS', KEYS[6], id) or redis.call('LPOS', KEYS[7], id) then state = 'waiting'
elseif redis.call('ZSCORE', KEYS[8], id) then state = 'waiting-children' end
local job = redis.call('HGETALL', KEYS[9])
local events = redis.call('XRANGE', KEYS[10], '-', '+')
local retried = redis.call('GET', KEYS[13]) or ''
if #job > 0 and state ~= 'unknown' then return {state, job, events, retried} end
return {state, job, events, retried, redis.call('GET', KEYS[11]) or '', redis.call('HGETALL', KEYS[12])}`;

/** A task's BullMQ job, as much of it as the task resource and its status need. */
export type StoredTaskJob = TaskJob & StatusSource & { name: string; data: TaskJob['data'] & { notify?: unknown; tenant?: string } };

export interface TaskSnapshot {
  state: JobState;
  /** null when the task has no job: never queued, removed while waiting, or pruned. */
  job: StoredTaskJob | null;
  logged: LoggedTaskEvent[];
  /** A task with no job whose resource was kept (revoked while waiting, or answered at submit time), and whose it is. */
  kept: (Pick<RevokedTask, 'request'> & { task: TaskResource; tenant: string }) | null;
  /** The task that re-ran this one, if one did. */
  retriedBy: string | null;
}

type RawReply = [state: JobState, job: string[], events: [string, string[]][], retried: string, revoked?: string, answered?: string[]];

/** Reads everything a task resource is built from in one round trip. */
export class TaskReader {
  private readonly readTask;

  constructor(
    redis: RedisClient,
    private readonly queues: JobQueues,
    private readonly events: TaskEventLog,
    private readonly cancels: TaskCancellation,
    private readonly answered: AnsweredTasks,
    private readonly retries: TaskRetries,
  ) {
    this.readTask = redisScript(redis, 'trainyardReadTask', readScript, 13);
  }

  async read(type: TaskType, taskId: string): Promise<TaskSnapshot> {
    const queue = this.queues.forTask(type, taskId);
    const { keys } = queue;
    const [state, hash, entries, retried, revoked, answered] = (await this.readTask(
      keys.completed!,
      keys.failed!,
      keys.delayed!,
      keys.prioritized!,
      keys.active!,
      keys.wait!,
      keys.paused!,
      keys['waiting-children']!,
      queue.toKey(taskId),
      this.events.key(taskId),
      this.cancels.revokedKey(taskId),
      this.answered.key(taskId),
      this.retries.key(taskId),
      taskId,
    )) as RawReply;
    const logged = entries.map(parseLogEntry);
    const job = hash.length ? storedJob(taskId, pairs(hash)) : null;
    const kept = revoked ? revokedTaskOf(revoked) : answered?.length ? answeredTaskOf(pairs(answered)) : null;
    return { state, job, logged, kept, retriedBy: retried || null };
  }
}

function pairs(flat: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) record[flat[i]!] = flat[i + 1]!;
  return record;
}

const number = (value: string | undefined) => (value ? Number(value) : undefined);

/** The fields of BullMQ's job hash a task resource reads (BullMQ's own parsing, for these fields). */
function storedJob(taskId: string, hash: Record<string, string>): StoredTaskJob {
  return {
    id: taskId,
    name: hash.name ?? '',
    data: JSON.parse(hash.data ?? '{}') as StoredTaskJob['data'],
    progress: JSON.parse(hash.progress ?? '0'),
    returnvalue: hash.returnvalue === undefined ? undefined : jsonOrText(hash.returnvalue),
    ...(hash.failedReason !== undefined ? { failedReason: hash.failedReason } : {}),
    attemptsStarted: number(hash.ats) ?? 0,
    attemptsMade: number(hash.attemptsMade ?? hash.atm) ?? 0,
    timestamp: Number(hash.timestamp),
    processedOn: number(hash.processedOn),
    finishedOn: number(hash.finishedOn),
  };
}

function jsonOrText(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
