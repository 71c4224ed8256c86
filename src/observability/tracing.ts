/**
 * Tracing (docs/operating.md, "Tracing"): with OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, spans at the gateway's own seams are exported over OTLP/HTTP,
 * protobuf (the default) or JSON (OTEL_EXPORTER_OTLP_PROTOCOL=http/json), configured by the standard
 * OTEL_* variables (service name, resource attributes, sampler, headers). One trace per request,
 * continued from its W3C `traceparent`: the request, its GraphQL operation, each batched database
 * command, and the live engine's ticks. Unset: the OpenTelemetry packages are not even loaded.
 *
 * Attributes name what ran, never a value: routes as patterns, collections, counts, codes; no filter,
 * document, variable, header or token. A request carries its trace itself (RequestContext.trace), so
 * no context manager runs: AsyncLocalStorage would cost every promise of every request.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type SpanAttributes = Record<string, string | number | boolean | string[]>;

export interface TraceSpan {
  setAttributes(attributes: SpanAttributes): void;
  /** Once what ran is known (a request's route). */
  rename(name: string): void;
  /** Marks the span failed, with the error code (never the message of a driver error). */
  fail(code: string): void;
  end(): void;
}

/** A request's trace: its own span, and the spans of its work below it. */
export interface RequestTrace {
  span: TraceSpan;
  /** A span below the request's, started now. */
  child(name: string, attributes: SpanAttributes): TraceSpan;
}

export interface Tracing {
  /** A request's trace, continued from its `traceparent`. */
  request(headers: IncomingHttpHeaders, name: string, attributes: SpanAttributes): RequestTrace;
  /** A span of work that has already run (a live tick), a trace of its own. */
  finished(name: string, startedAt: number, attributes: SpanAttributes): void;
  shutdown(): Promise<void>;
}

/** Whether the environment asks for traces. */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/** Tracing as the environment configures it; undefined (nothing loaded) when it asks for none. */
export function startTracing(env: NodeJS.ProcessEnv): Tracing | undefined {
  if (!tracingRequested(env)) return undefined;
  // loaded here, only when tracing is on
  /* eslint-disable @typescript-eslint/no-require-imports */
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const { resourceFromAttributes, defaultResource, envDetector, detectResources } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json; got "${protocol}"`);
  const { OTLPTraceExporter } = (protocol === 'http/json'
    ? require('@opentelemetry/exporter-trace-otlp-http')
    : require('@opentelemetry/exporter-trace-otlp-proto')) as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'session-gateway' }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  const propagator = new W3CTraceContextPropagator();
  const tracer = provider.getTracer('session-gateway');
  const asSpan = (span: import('@opentelemetry/api').Span): TraceSpan => ({
    setAttributes: (attributes) => span.setAttributes(attributes),
    rename: (name) => span.updateName(name),
    fail: (code) => {
      span.setAttribute('error.type', code);
      span.setStatus({ code: api.SpanStatusCode.ERROR });
    },
    end: () => span.end(),
  });
  return {
    request(headers, name, attributes) {
      const parent = propagator.extract(api.ROOT_CONTEXT, headers, api.defaultTextMapGetter);
      const span = tracer.startSpan(name, { kind: api.SpanKind.SERVER, attributes }, parent);
      const context = api.trace.setSpan(parent, span);
      return {
        span: asSpan(span),
        child: (childName, childAttributes) => asSpan(tracer.startSpan(childName, { kind: api.SpanKind.INTERNAL, attributes: childAttributes }, context)),
      };
    },
    finished(name, startedAt, attributes) {
      tracer.startSpan(name, { kind: api.SpanKind.INTERNAL, attributes, startTime: startedAt, root: true }).end();
    },
    async shutdown() {
      await provider.shutdown();
    },
  };
}
