import type { Request } from 'express';
import { defaultTenant } from '@trainyard/shared/platform';

/** What a key may do: read, submit (train, predict, embed), manage (datasets, aliases, versions, caches, cancel), admin (all of it, and keys, audit, every tenant). */
export const scopes = ['read', 'submit', 'manage', 'admin'] as const;
export type Scope = (typeof scopes)[number];

/** Who makes a request: the API key's tenant, id, scopes and the most urgent priority it may use. */
export interface Principal {
  tenant: string;
  /** null when authentication is off. */
  keyId: string | null;
  scopes: readonly Scope[];
  /** The smallest (most urgent) priority number the key may ask for. */
  minPriority: number;
}

declare global {
  namespace Express {
    interface Request {
      /** Set by authentication on every /v1 request. */
      principal?: Principal;
    }
  }
}

/** Every request when AUTH=off (allowed on loopback only): tenant `default`, every scope. */
export const anonymous: Principal = { tenant: defaultTenant, keyId: null, scopes: ['admin'], minPriority: 1 };

export function principalOf(req: Request): Principal {
  if (!req.principal) throw new Error(`${req.method} ${req.path} is not behind authentication`);
  return req.principal;
}

/** admin implies every scope. */
export function grants(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}
