import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router } from 'express';
import { openApiDocument } from './document.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const swaggerUi = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
/** The files the page loads; the package's own index.html (which points at a public demo API) stays unserved. */
const assets = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png']);

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Trainyard API reference</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="reference"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#reference', deepLinking: true, presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout' });
  </script>
</body>
</html>
`;

/**
 * GET /openapi.json and the reference page at GET /docs. Both are public, like /health: they
 * describe the API, never a tenant's data, and a client needs them before it has a key.
 */
export function openApiRouter(): Router {
  const router = Router();
  const document = JSON.stringify(openApiDocument(version));

  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });

  router.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });

  router.use(
    '/docs/assets',
    (req, _res, next) => next(assets.has(req.path.slice(1)) ? undefined : 'router'),
    express.static(swaggerUi, { index: false, maxAge: '1d' }),
  );

  return router;
}
