import { Router } from 'express';

/**
 * Routers entered only by requests of the methods their routes answer, and by OPTIONS (which a
 * router answers with their Allow): entering a router costs a request a few µs of matching against
 * each of its routes, and every POST /v1/predict went through all those mounted before it to find
 * nothing. Requests of other methods leave at the gate (`next('router')`) and go on as they did
 * from those routers: no route of theirs matched. A Router itself, so route listings see its routes.
 */
export function forMethods(methods: readonly string[], ...routers: Router[]): Router {
  const entering = new Set([...methods, 'OPTIONS']);
  const gated = Router();
  gated.use((req, _res, next) => (entering.has(req.method) ? next() : next('router')));
  gated.use(...routers);
  return gated;
}
