import { Router, type RequestHandler } from 'express';

/**
 * Routers entered only by requests of the methods their routes answer, and by OPTIONS (which a
 * router answers with their Allow): entering a router costs a request a few µs of matching against
 * each of its routes, and every POST /v1/predict went through all those mounted before it to find
 * nothing. Requests of other methods go on as they did from those routers: no route of theirs matched.
 */
export function forMethods(methods: readonly string[], ...routers: Router[]): RequestHandler {
  const entering = new Set([...methods, 'OPTIONS']);
  const router = Router();
  router.use(...routers);
  return (req, res, next) => (entering.has(req.method) ? router(req, res, next) : next());
}
