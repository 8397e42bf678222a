import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import type { Logger, RedisClient } from '@trainyard/shared/platform';
import { principalOf } from '../auth/principal.js';

/** One mutating call: who (tenant and key), what, on what, and how it ended ("ok" or the error code). */
export const auditEntry = z.object({
  at: z.iso.datetime(),
  tenant: z.string(),
  /** null for the keys CLI and with AUTH=off. */
  key_id: z.string().nullable(),
  action: z.string(),
  target: z.string(),
  outcome: z.string(),
});
export type AuditEntry = z.output<typeof auditEntry>;

/** GET /v1/admin/audit: newest first; `next` is the `before` of the following page. */
export const auditPage = z.object({ entries: z.array(auditEntry.extend({ id: z.string() })), next: z.string().nullable() });
export type AuditPage = z.output<typeof auditPage>;

export interface AuditQuery {
  tenant?: string;
  limit: number;
  /** An entry id from a previous page: older entries only. */
  before?: string;
}

/**
 * Every mutating call (uploads and deletions, alias moves, cancels, cache drops, key changes) as one
 * entry in a capped Redis stream, newest last; GET /v1/admin/audit reads it back newest first.
 */
export class AuditLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly maxEntries: number,
    private readonly log: Logger,
  ) {}

  private get key(): string {
    return `${this.prefix}:audit`;
  }

  async append(entry: AuditEntry): Promise<void> {
    await this.redis.xadd(this.key, 'MAXLEN', '~', this.maxEntries, '*', 'e', JSON.stringify(entry));
  }

  /** Newest first, a page at a time; `next` is the `before` of the following page. */
  async list({ tenant, limit, before }: AuditQuery): Promise<AuditPage> {
    const entries: (AuditEntry & { id: string })[] = [];
    let end = before ? `(${before}` : '+';
    for (;;) {
      const page = await this.redis.xrevrange(this.key, end, '-', 'COUNT', Math.max(limit, 100));
      for (const [id, fields] of page) {
        const entry = JSON.parse(fields[1] ?? '{}') as AuditEntry;
        if (tenant === undefined || entry.tenant === tenant) entries.push({ id, ...entry });
        if (entries.length === limit) return { entries, next: id };
      }
      if (page.length < Math.max(limit, 100)) return { entries, next: null };
      end = `(${page.at(-1)![0]}`;
    }
  }

  /**
   * Records the call once its answer is out (the answer never waits for the record), a refused one
   * (403) too; not one refused for its rate: a flood of those would push real entries out.
   */
  records(action: string, target: (req: Request) => string): RequestHandler {
    return (req, res, next) => {
      const { tenant, keyId } = principalOf(req);
      // Read now: Express restores the route's params once its handlers are done.
      const on = target(req).slice(0, 200);
      res.on('finish', () => {
        const outcome = res.statusCode < 400 ? 'ok' : String(res.locals.errorCode ?? res.statusCode);
        if (outcome === 'rate_limited') return;
        const entry = { at: new Date().toISOString(), tenant, key_id: keyId, action, target: on, outcome };
        this.append(entry).catch((error: unknown) => this.log.warn({ err: error, entry }, 'audit entry not recorded'));
      });
      next();
    };
  }
}
