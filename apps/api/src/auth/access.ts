import type { RequestHandler } from 'express';
import { AppError } from '@trainyard/shared/platform';
import type { RateLimits } from '../limits/rate-limits.js';
import { grants, principalOf, type Scope } from './principal.js';

/** Who may call a route, and which budget the call takes from: every /v1 route names its scope. */
export class Access {
  constructor(
    /** null when authentication is off: there is no key to count for. */
    private readonly limits: RateLimits | null,
  ) {}

  /** The key must hold `scope` (403 otherwise); the call then counts against its budget (429 past it). */
  requires(scope: Scope): RequestHandler {
    const budget = scope === 'submit' ? 'submit' : 'read';
    return (req, res, next) => {
      const principal = principalOf(req);
      if (!grants(principal, scope)) {
        res.set('WWW-Authenticate', `Bearer realm="trainyard", error="insufficient_scope", scope="${scope}"`);
        throw new AppError('forbidden', `this API key lacks the "${scope}" scope`);
      }
      const taken = this.limits && principal.keyId ? this.limits.take(res, budget, principal.keyId) : undefined;
      // Most calls are taken from a lease in memory: no promise, no extra turn of the event loop.
      if (taken) taken.then(() => next(), next);
      else next();
    };
  }
}
