import { parseArgs } from 'node:util';
import { z } from 'zod';
import { connectRedis, createLogger, logEnv, parseEnv, readConfig, redisEnv, withSlotPrefix } from '@trainyard/shared/platform';
import { AuditLog } from './admin/audit.js';
import { ApiKeyStore, type ApiKeyView } from './auth/api-keys.js';

/**
 * `npm run keys -- create|list|revoke`: API keys managed straight in the Redis at REDIS_URL (under
 * QUEUE_PREFIX), for the first keys of a deployment and for operators; POST/GET/DELETE
 * /v1/admin/keys do the same over HTTP. Every API replica sees a revocation within about a round trip.
 */
const usage = `usage:
  npm run keys -- create --tenant TENANT --name NAME [--scopes read,submit,manage,admin] [--expires-at ISO-8601] [--min-priority 1-100]
  npm run keys -- list [--tenant TENANT]
  npm run keys -- revoke KEY_ID`;

const config = readConfig('keys', () => withSlotPrefix(parseEnv(z.object({ ...redisEnv.shape, ...logEnv.shape }), process.env))) ?? process.exit(1);
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    tenant: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'string', default: 'read,submit' },
    'expires-at': { type: 'string' },
    'min-priority': { type: 'string' },
  },
});
const [command, ...rest] = positionals;
const redis = connectRedis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
const keys = new ApiKeyStore(redis, config.QUEUE_PREFIX);
const audit = new AuditLog(redis, config.QUEUE_PREFIX, 100_000, createLogger('keys', config.LOG_LEVEL));
const record = (tenant: string, action: string, target: string) =>
  audit.append({ at: new Date().toISOString(), tenant, key_id: null, action, target, outcome: 'ok' });

try {
  process.exitCode = await run();
} catch (error) {
  console.error(error instanceof z.ZodError ? `invalid key: ${z.prettifyError(error)}` : String(error));
  process.exitCode = 1;
} finally {
  redis.disconnect();
}

async function run(): Promise<number> {
  switch (command) {
    case 'create': {
      const created = await keys.create({
        tenant: values.tenant ?? '',
        name: values.name ?? '',
        scopes: values.scopes.split(',').map((scope) => scope.trim()) as ApiKeyView['scopes'],
        ...(values['expires-at'] ? { expires_at: values['expires-at'] } : {}),
        ...(values['min-priority'] ? { min_priority: Number(values['min-priority']) } : {}),
      });
      if (!created) throw new Error('a key collision: try again');
      await record(created.record.tenant, 'key.create', created.record.id);
      console.log(`${created.key}\n\nThe key above is shown once; store it now. Its record:\n${JSON.stringify(created.record, null, 2)}`);
      return 0;
    }
    case 'list': {
      const listed = await keys.list(values.tenant);
      console.table(listed.map(({ id, tenant, name, scopes, created_at, last_used_at, expires_at, revoked_at }) => ({ id, tenant, name, scopes: scopes.join(','), created_at, last_used_at, expires_at, revoked_at })));
      return 0;
    }
    case 'revoke': {
      const [id] = rest;
      const revoked = id ? await keys.revoke(id) : null;
      if (!revoked) {
        console.error(id ? `no API key ${id}` : usage);
        return 1;
      }
      await record(revoked.tenant, 'key.revoke', revoked.id);
      console.log(`revoked ${revoked.id} (${revoked.tenant}/${revoked.name}) on every API replica`);
      return 0;
    }
    default:
      console.error(usage);
      return 1;
  }
}
