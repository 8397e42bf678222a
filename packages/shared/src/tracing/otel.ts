import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK, tracing as sdkTracing } from '@opentelemetry/sdk-node';
import { BullMQOtel } from 'bullmq-otel';
import type { TraceCarrier, Tracing } from './tracing.js';

/**
 * OpenTelemetry's Node SDK exporting spans over OTLP/HTTP (JSON) to `${endpoint}/v1/traces`.
 * Loaded only through startTracing, when an endpoint is configured.
 */
export function otelTracing(service: string, endpoint: string): Tracing {
  const processor = new sdkTracing.BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }));
  const sdk = new NodeSDK({ serviceName: service, spanProcessors: [processor], instrumentations: [] });
  sdk.start();
  const tracer = trace.getTracer('trainyard');

  return {
    enabled: true,
    bullmq: new BullMQOtel({ tracerName: 'bullmq' }),
    async span(name, attributes, work, parent) {
      const parentContext = parent ? propagation.extract(context.active(), parent) : context.active();
      return tracer.startActiveSpan(name, { attributes }, parentContext, async (span) => {
        try {
          return await work();
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      });
    },
    carrier() {
      const carrier: TraceCarrier = {};
      propagation.inject(context.active(), carrier);
      return carrier;
    },
    serve(headers) {
      const parentContext = propagation.extract(ROOT_CONTEXT, headers);
      const span = tracer.startSpan('HTTP request', { kind: SpanKind.SERVER }, parentContext);
      const spanContext = trace.setSpan(parentContext, span);
      return {
        run: (work) => context.with(spanContext, work),
        end(name, attributes, failed) {
          span.updateName(name);
          span.setAttributes(attributes);
          if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
    flush: () => processor.forceFlush(),
    shutdown: () => sdk.shutdown(),
  };
}
