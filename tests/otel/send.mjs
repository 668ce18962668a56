// Sends a plan of spans, log records and metric points to an OTLP/HTTP endpoint with the
// official OpenTelemetry JS SDK (the exact packages pinned in package-lock.json), and prints
// on stdout, as one JSON object, the trace and span id the SDK generated for every span and
// the result of every export call.
//
//   node send.mjs PLAN.json
//
// The plan (written by otel_test.py, which also computes what agent_exporter must count):
//   {"endpoint": "http://127.0.0.1:PORT",
//    "batches": [{"protocol": "http/json" | "http/protobuf", "compression": "none" | "gzip",
//                 "traces": [{"resource": {..}, "spans": [SPAN, ..]}],
//                 "logs": [{"resource": {..}, "scope": NAME, "records": [RECORD, ..]}],
//                 "metrics": [{"resource": {..}, "scope": NAME, "flushes": [[ADD, ..], ..]}]}]}
//   SPAN   = {"key", "name", "kind" (API SpanKind), "attributes", "start": [s, ns],
//             "end": [s, ns], "status": {"code", "message"}?, "children": [SPAN, ..]?}
//            children are started inside their parent's context and end before it.
//   RECORD = {"body"?, "eventName"?, "attributes", "time": [s, ns]}
//   ADD    = {"instrument", "type": "counter" | "updowncounter" | "histogram",
//             "value_type": "int" | "double", "unit", "value", "attributes"}
//            each inner list of "flushes" is recorded, then MeterProvider.forceFlush() runs
//            (one collection, delta temporality).
//
// Spans and log records go through SimpleSpanProcessor / SimpleLogRecordProcessor, so each
// one is its own export request. Any export that does not succeed makes the script exit 1.

import { readFileSync } from 'node:fs';
import { context, diag, DiagConsoleLogger, DiagLogLevel, trace, ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
// sdk-trace-base 2.x keeps the 1.x constructors (SimpleSpanProcessor(exporter)); sdk-logs
// 0.223 takes an options object (SimpleLogRecordProcessor({exporter})).
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPTraceExporter as TraceJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPLogExporter as LogsJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as MetricsJson,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto';

diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);  // to stderr

const EXPORTERS = {
  'http/json': { traces: TraceJson, logs: LogsJson, metrics: MetricsJson },
  'http/protobuf': { traces: TraceProto, logs: LogsProto, metrics: MetricsProto },
};

const results = [];  // {signal, batch, code, error}
const spans = [];    // {batch, key, trace_id, span_id}

// Wraps an SDK exporter to record the result of each export call; everything else is
// delegated (the metric reader also asks the exporter for temporality and aggregation).
function recording(inner, signal, batch) {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'export') {
        return (items, done) => target.export(items, (result) => {
          results.push({ signal, batch, code: result.code, error: result.error ? String(result.error) : null });
          done(result);
        });
      }
      const v = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function exporterOptions(endpoint, path, b) {
  const o = { url: endpoint + path, timeoutMillis: 20000 };
  if (b.compression === 'gzip') o.compression = 'gzip';
  return o;
}

async function sendTraces(endpoint, b, bi) {
  for (const group of b.traces ?? []) {
    const Exporter = EXPORTERS[b.protocol].traces;
    const exporter = recording(new Exporter(exporterOptions(endpoint, '/v1/traces', b)), 'traces', bi);
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes(group.resource),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('agent-exporter-otel-test', '1.0.0');
    const emit = (s, ctx) => {
      const span = tracer.startSpan(s.name, { kind: s.kind, attributes: s.attributes, startTime: s.start }, ctx);
      const sc = span.spanContext();
      spans.push({ batch: bi, key: s.key, trace_id: sc.traceId, span_id: sc.spanId });
      for (const c of s.children ?? []) emit(c, trace.setSpan(ctx, span));
      if (s.status) span.setStatus(s.status);
      span.end(s.end);
    };
    for (const s of group.spans) emit(s, context.active());
    await provider.forceFlush();
    await provider.shutdown();
  }
}

async function sendLogs(endpoint, b, bi) {
  for (const group of b.logs ?? []) {
    const Exporter = EXPORTERS[b.protocol].logs;
    const exporter = recording(new Exporter(exporterOptions(endpoint, '/v1/logs', b)), 'logs', bi);
    const provider = new LoggerProvider({
      resource: resourceFromAttributes(group.resource),
      processors: [new SimpleLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger(group.scope, '2.0.0');
    for (const r of group.records) {
      const rec = { attributes: r.attributes, timestamp: r.time, observedTimestamp: r.time };
      if (r.body !== undefined) rec.body = r.body;
      if (r.eventName !== undefined) rec.eventName = r.eventName;
      logger.emit(rec);
    }
    await provider.forceFlush();
    await provider.shutdown();
  }
}

async function sendMetrics(endpoint, b, bi) {
  for (const group of b.metrics ?? []) {
    const Exporter = EXPORTERS[b.protocol].metrics;
    const options = exporterOptions(endpoint, '/v1/metrics', b);
    options.temporalityPreference = AggregationTemporalityPreference.DELTA;
    const exporter = recording(new Exporter(options), 'metrics', bi);
    const provider = new MeterProvider({
      resource: resourceFromAttributes(group.resource),
      // A long interval: only forceFlush exports.
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3600000, exportTimeoutMillis: 20000 })],
    });
    const meter = provider.getMeter(group.scope, '2.0.0');
    const instruments = new Map();
    const instrument = (a) => {
      const id = `${a.type}/${a.instrument}/${a.value_type}`;
      if (!instruments.has(id)) {
        const opts = { unit: a.unit, valueType: a.value_type === 'int' ? ValueType.INT : ValueType.DOUBLE };
        const make = { counter: 'createCounter', updowncounter: 'createUpDownCounter', histogram: 'createHistogram' }[a.type];
        instruments.set(id, meter[make](a.instrument, opts));
      }
      return instruments.get(id);
    };
    for (const flush of group.flushes) {
      for (const a of flush) {
        const i = instrument(a);
        if (a.type === 'histogram') i.record(a.value, a.attributes);
        else i.add(a.value, a.attributes);
      }
      await provider.forceFlush();
    }
    await provider.shutdown();
  }
}

async function main() {
  const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  for (const [bi, b] of plan.batches.entries()) {
    if (!EXPORTERS[b.protocol]) throw new Error(`unknown protocol ${b.protocol}`);
    await sendTraces(plan.endpoint, b, bi);
    await sendLogs(plan.endpoint, b, bi);
    await sendMetrics(plan.endpoint, b, bi);
  }
  process.stdout.write(JSON.stringify({ spans, exports: results }) + '\n');
  const failed = results.filter((e) => e.code !== 0);
  if (failed.length > 0) {
    process.stderr.write(`send.mjs: ${failed.length} export(s) failed: ${JSON.stringify(failed.slice(0, 5))}\n`);
    process.exit(1);
  }
}

main().catch((e) => {
  process.stderr.write(`send.mjs: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
