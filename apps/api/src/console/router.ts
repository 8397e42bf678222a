import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';

/**
 * The web console's security headers: it loads nothing from elsewhere and is never framed.
 * uPlot and Preact style elements through the CSSOM, which style-src 'self' allows.
 */
const consoleHeaders = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The built console's folder, or null when it has not been built (the API then serves no `/`). */
export function builtConsole(dir: string): string | null {
  return existsSync(join(dir, 'index.html')) ? dir : null;
}

/**
 * The console's static files: `/` is index.html, never cached so a deploy shows at once; the
 * hashed bundles under /assets/ never change under their name, so browsers keep them a year.
 * Pages are hash routes (`/#/tasks`), so no other path is the console's and /v1, /v2, /health and
 * /admin/queues stay as they are.
 */
export function consoleRouter(dir: string): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.set({ ...consoleHeaders, 'cache-control': 'no-cache' }).sendFile(join(dir, 'index.html'));
  });
  router.use(
    '/assets',
    express.static(join(dir, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
      redirect: false,
      setHeaders: (res) => res.set(consoleHeaders),
    }),
  );
  return router;
}
