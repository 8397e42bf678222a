import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noTracing, startTracing } from './tracing.js';

const root = new URL('../../../../', import.meta.url).pathname;
const sources = ['apps/api/src', 'apps/worker/src', 'packages/shared/src'].flatMap(function walk(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
});

describe('tracing, when no endpoint is configured', () => {
  it('is the no-op tracer, which runs the work as it is', async () => {
    const tracing = await startTracing('test', undefined);
    expect(tracing).toBe(noTracing);
    expect(await tracing.span('work', {}, async () => 42)).toBe(42);
    expect(tracing.carrier()).toBeUndefined();
  });

  it('loads no OpenTelemetry module: only otel.ts imports one, and otel.ts is imported only dynamically', () => {
    const importers = sources.filter((file) => /from '(@opentelemetry\/[^']+|bullmq-otel)'/.test(readFileSync(join(root, file), 'utf8')));
    expect(importers).toEqual(['packages/shared/src/tracing/otel.ts']);
    const otelImports = sources.flatMap((file) => [...readFileSync(join(root, file), 'utf8').matchAll(/(import\(|from )'([^']*otel\.js)'/g)].map(([, how]) => `${relative(root, join(root, file))} ${how}`));
    expect(otelImports).toEqual(['packages/shared/src/tracing/tracing.ts import(']);
  });
});
