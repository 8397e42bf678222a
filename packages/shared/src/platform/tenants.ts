import { z } from 'zod';
import { isValidName, namePattern } from './names.js';

/**
 * Every task, dataset, model and cache entry belongs to a tenant: the tenant of the API key that
 * made it. Data written before tenants existed belongs to `default`, whose keys keep that layout.
 */
export const defaultTenant = 'default';

export const tenantName = z.string().regex(namePattern, `must match ${namePattern.source}`);

/** The tenant a job's data names; jobs queued before tenants existed carry none and belong to `default`. */
export function tenantOf(data: { tenant?: string }): string {
  return data.tenant ?? defaultTenant;
}

/**
 * The one mapping of a tenant to its Redis keys: `default` keeps the layout from before tenants
 * (`{prefix}:model:…`), every other tenant's keys live under `{prefix}:t:{tenant}:…`. A prefix with
 * a Redis Cluster hash tag ({trainyard}) keeps every tenant's keys in its slot.
 */
export function tenantKeyPrefix(prefix: string, tenant: string): string {
  if (tenant === defaultTenant) return prefix;
  if (!isValidName(tenant)) throw new Error(`invalid tenant name: ${JSON.stringify(tenant)}`);
  return `${prefix}:t:${tenant}`;
}
