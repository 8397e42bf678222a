import type { Telemetry } from 'bullmq';
import { z } from 'zod';

export const tracingEnv = z.object({
  /** An OTLP/HTTP collector (http://collector:4318): traces go there. Unset: no tracing, and no OpenTelemetry module loaded. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
});

/** W3C trace context (traceparent, tracestate) as headers: how a span's context crosses to another thread. */
export type TraceCarrier = Record<string, string>;

export type SpanAttributes = Record<string, string | number | boolean>;

/** A span for an incoming request: its work runs inside it; named and ended once the answer is out. */
export interface ServerSpan {
  run(work: () => void): void;
  end(name: string, attributes: SpanAttributes, failed: boolean): void;
}

/**
 * What the apps trace with, whether tracing is on or off. The OpenTelemetry side lives in otel.ts
 * and is imported only when an endpoint is configured, so a process without one loads none of it.
 */
export interface Tracing {
  readonly enabled: boolean;
  /** BullMQ's telemetry option: links a job's `add` in the API to its `process` in a worker. */
  readonly bullmq: Telemetry | undefined;
  /** Runs `work` in a child span of the active one, or of `parent` (a carrier from another thread). */
  span<T>(name: string, attributes: SpanAttributes, work: () => Promise<T>, parent?: TraceCarrier): Promise<T>;
  /** The active span's context, to hand to another thread; undefined when tracing is off. */
  carrier(): TraceCarrier | undefined;
  /** A server span for a request, parented by its traceparent header when it has one. */
  serve(headers: Record<string, string | string[] | undefined>): ServerSpan;
  /** Sends what is buffered (a thread about to idle). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export const noTracing: Tracing = {
  enabled: false,
  bullmq: undefined,
  span: (_name, _attributes, work) => work(),
  carrier: () => undefined,
  serve: () => ({ run: (work) => work(), end: () => {} }),
  flush: async () => {},
  shutdown: async () => {},
};

/** Tracing to the OTLP endpoint when there is one (loading OpenTelemetry then), else none. */
export async function startTracing(service: string, endpoint: string | undefined): Promise<Tracing> {
  if (!endpoint) return noTracing;
  const { otelTracing } = await import('./otel.js');
  return otelTracing(service, endpoint);
}
