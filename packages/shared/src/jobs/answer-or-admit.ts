import { keptFields, lookupAndKeepLua, type KeptAnswers, type PredictionKeys } from '../cache/predictions.js';
import { redisScript, type RedisClient } from '../platform/redis.js';
import { admitLua, notMadeOnError, type Admission } from './backlog.js';

// KEYS: the kept record, the rows (ARGV[1] of them), then the admission's keys.
// ARGV: rows, the admission's six arguments, ttl, then the kept record's fields and values.
const answerOrAdmitScript = `${lookupAndKeepLua}
${admitLua}
local rows = tonumber(ARGV[1])
local answers = lookupAndKeep(KEYS[1], {unpack(KEYS, 2, rows + 1)}, ARGV[8], {unpack(ARGV, 9)})
if answers then return answers end
return admit({unpack(KEYS, rows + 2, #KEYS - 1)}, KEYS[#KEYS], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]))`;

/** The cached answers of every row (kept as the cache hit's task), or the admitted task's place: null at the tenant's quota. */
export type AnswerOrAdmission = { answers: string } | { ahead: number | null };

/**
 * A predict request's cache lookup and its task's admission in one command, for a cache that lives
 * on the queue Redis: when every row is cached, the answers (kept under `keep`, as
 * PredictionCache.lookupAndKeep does) and nothing is admitted; otherwise the task is counted into its
 * tenant's backlog (TaskBacklog.admit) and its place answered.
 */
export class AnswerOrAdmit {
  private readonly script;

  constructor(redis: RedisClient) {
    this.script = redisScript(redis, 'trainyardAnswerOrAdmit', answerOrAdmitScript);
  }

  async run(rows: PredictionKeys, keep: KeptAnswers, admission: Admission): Promise<AnswerOrAdmission> {
    const keys = [keep.key, ...rows.rowKeys, ...admission.keys];
    const answered = await this.script(keys.length, ...keys, rows.rowKeys.length, ...admission.args, keep.ttlSeconds, ...keptFields(keep)).catch(notMadeOnError(admission));
    if (typeof answered === 'string') {
      admission.notMade();
      return { answers: answered };
    }
    const ahead = Number(answered);
    if (ahead >= 0) return { ahead };
    admission.notMade();
    return { ahead: null };
  }
}
