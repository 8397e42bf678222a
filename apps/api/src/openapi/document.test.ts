import type { Express } from 'express';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../app.js';
import { openApiDocument } from './document.js';

/**
 * Deps for building the app only: every dependency is a stand-in that accepts any call, because
 * routes are registered at construction and nothing here handles a request. The console is left
 * out: its static files are pages, not operations of the API.
 */
function inertDeps(): AppDeps {
  const inert: object = new Proxy(function inert() {}, { get: (_target, key) => (key === 'then' ? undefined : inert), apply: () => inert });
  const given: Partial<AppDeps> = { bodyLimit: '1mb', authenticator: null, consoleDir: null, board: { readOnly: false }, tracing: { enabled: false } as AppDeps['tracing'] };
  return new Proxy(given, { get: (target, key) => (key in target ? target[key as keyof AppDeps] : inert) }) as AppDeps;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** "get /v1/tasks/{taskId}" for every route the app registers; an optional segment `{/x/:y}` counts both ways. */
function registeredOperations(app: Express): Set<string> {
  const found = new Set<string>();
  const visit = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of expandOptional(layer.route.path)) {
          for (const method of Object.keys(layer.route.methods)) found.add(`${method} ${openApiPath(path)}`);
        }
      } else if (layer.handle?.stack) visit(layer.handle.stack);
    }
  };
  visit((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}

/** `/v1/tasks/:taskId` → `/v1/tasks/{taskId}`; an escaped colon (`/v1/tasks\\:retry`) is a literal one. */
function openApiPath(path: string): string {
  return path
    .split('\\:')
    .map((part) => part.replace(/:(\w+)/g, '{$1}'))
    .join(':');
}

function expandOptional(path: string): string[] {
  const optional = /\{([^}]*)\}/.exec(path);
  if (!optional) return [path];
  return [...expandOptional(path.replace(optional[0], '')), ...expandOptional(path.replace(optional[0], optional[1]!))];
}

function documentedOperations(document: ReturnType<typeof openApiDocument>): Set<string> {
  const paths = document.paths as Record<string, Record<string, unknown>>;
  return new Set(Object.entries(paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`)));
}

describe('the OpenAPI document', () => {
  const document = openApiDocument('0.0.0-test');

  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes exactly the routes the app registers: a route without a path item fails here', () => {
    const registered = registeredOperations(createApp(inertDeps()));
    expect(registered.size).toBeGreaterThan(30);
    expect([...documentedOperations(document)].sort()).toEqual([...registered].sort());
  });

  it('asks for the bearer API key on every /v1 and /v2 model operation and on nothing public', () => {
    const paths = document.paths as Record<string, Record<string, { security: unknown[] }>>;
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        const keyed = path.startsWith('/v1/') || path.startsWith('/v2/models');
        expect({ operation: `${method} ${path}`, keyed: op.security.length > 0 }).toEqual({ operation: `${method} ${path}`, keyed });
      }
    }
  });
});
