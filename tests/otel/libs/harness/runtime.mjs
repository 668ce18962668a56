// What every library's driver shares: where the npm packages are, the tracer provider, the
// exporter that both sends OTLP and keeps a JSON copy of each request, and the capture of the
// span context that is active when an SDK sends an HTTP request.

import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));

// Every package is loaded with require() from one node_modules, which may live outside the
// source tree (LIBS_MODULES_DIR, where `npm ci` ran). require() rather than import also makes
// require-in-the-middle see the modules, which is how instrumentations patch them.
export const modulesDir = resolve(process.env.LIBS_MODULES_DIR ?? here);
export const req = createRequire(join(modulesDir, 'package.json'));
export const api = req('@opentelemetry/api');

// The version installed at the top of node_modules (some packages export no package.json).
export function packageVersion(name) {
  return JSON.parse(readFileSync(join(modulesDir, 'node_modules', name, 'package.json'), 'utf8')).version;
}

// The OTLP trace exporter of the plan's protocol, wrapped so that each export is also written
// as one ExportTraceServiceRequest JSON line (the http/json exporter's own serializer) and its
// result recorded. With no endpoint, only the file is written.
export function makeExporter(plan, results) {
  const { JsonTraceSerializer } = req('@opentelemetry/otlp-transformer');
  const { ExportResultCode } = req('@opentelemetry/core');
  let otlp = null;
  if (plan.endpoint) {
    const pkg = plan.protocol === 'http/json' ? '@opentelemetry/exporter-trace-otlp-http' : '@opentelemetry/exporter-trace-otlp-proto';
    const { OTLPTraceExporter } = req(pkg);
    otlp = new OTLPTraceExporter({ url: `${plan.endpoint.replace(/\/$/, '')}/v1/traces`, timeoutMillis: 20000 });
  }
  return {
    export(spans, done) {
      if (plan.otlp_json_file) {
        appendFileSync(plan.otlp_json_file, Buffer.from(JsonTraceSerializer.serializeRequest(spans)).toString('utf8') + '\n');
      }
      if (!otlp) {
        results.push({ code: ExportResultCode.SUCCESS, spans: spans.length, error: null, sent: false });
        return done({ code: ExportResultCode.SUCCESS });
      }
      otlp.export(spans, (r) => {
        results.push({ code: r.code, spans: spans.length, error: r.error ? String(r.error) : null, sent: true });
        done(r);
      });
    },
    forceFlush: () => otlp?.forceFlush?.() ?? Promise.resolve(),
    shutdown: () => otlp?.shutdown() ?? Promise.resolve(),
  };
}

// The setup an application makes with the OTel JS SDK (what NodeTracerProvider.register()
// does, spelled out): global provider, AsyncLocalStorage context, W3C propagation.
export function setupTracing(plan, agent, results) {
  const { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor } = req('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes } = req('@opentelemetry/resources');
  const { AsyncLocalStorageContextManager } = req('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = req('@opentelemetry/core');
  const exporter = makeExporter(plan, results);
  const processor = plan.processor === 'simple'
    ? new SimpleSpanProcessor(exporter)
    : new BatchSpanProcessor(exporter, { scheduledDelayMillis: plan.batch_delay_ms ?? 200 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': agent.service_name }),
    spanProcessors: [processor],
  });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  return { provider, shutdown: () => provider.shutdown() };
}

// {trace_id, span_id} of the active span, or nulls.
export function activeIds() {
  const sc = api.trace.getSpan(api.context.active())?.spanContext();
  return sc && api.trace.isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : { trace_id: null, span_id: null };
}

// Every SDK here sends its requests with the global fetch (taken when a client is built), so
// one wrapper tells the fake provider which span context was active for each request: the
// instrumentation's own span when it makes its span current around the call.
export function captureContextInFetch() {
  const original = globalThis.fetch;
  globalThis.fetch = (input, init = {}) => {
    const { trace_id, span_id } = activeIds();
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set('x-drive-context', trace_id ? `${trace_id}-${span_id}` : 'none');
    return original(input, { ...init, headers });
  };
}

// Runs fn in a span the way OTel's own helpers and Python's start_as_current_span do: an
// exception that escapes is recorded and sets ERROR, then propagates.
export async function inSpan(tracer, name, options, fn) {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      span.recordException(e);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: String(e?.message ?? e) });
      throw e;
    } finally {
      span.end();
    }
  });
}
