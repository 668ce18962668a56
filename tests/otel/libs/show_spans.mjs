// Prints the spans of an OTLP JSON lines file (fixtures/*.otlp.jsonl) as trees, one per trace:
//   name  kind  scope@version  status  events  {attributes}
//
//   node show_spans.mjs FILE [--keys]   # --keys: only the sorted attribute keys per span name
// Needs no packages.

import { readFileSync } from 'node:fs';

const [file, flag] = process.argv.slice(2);
const KIND = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS = ['UNSET', 'OK', 'ERROR'];

const value = (v) => {
  if (v == null) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return `${v.intValue}i`;  // marks OTLP ints (JSON strings) apart from doubles
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(value);
  if ('kvlistValue' in v) return Object.fromEntries((v.kvlistValue.values ?? []).map((kv) => [kv.key, value(kv.value)]));
  return v;
};
const attrs = (list) => Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));

const spans = [];
for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
  for (const rs of JSON.parse(line).resourceSpans ?? []) {
    const service = attrs(rs.resource?.attributes)['service.name'];
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) spans.push({ ...s, service, scope: `${ss.scope?.name}@${ss.scope?.version ?? ''}` });
    }
  }
}

if (flag === '--keys') {
  const byName = new Map();
  for (const s of spans) {
    const key = `${s.name}  [${s.scope}]`;
    const set = byName.get(key) ?? new Set();
    for (const a of s.attributes ?? []) set.add(a.key);
    byName.set(key, set);
  }
  for (const [name, keys] of byName) console.log(`${name}\n  ${[...keys].sort().join('\n  ')}`);
  process.exit(0);
}

const children = new Map();
for (const s of spans) {
  const p = s.parentSpanId || '';
  children.set(p, [...(children.get(p) ?? []), s]);
}
// Start times tie at millisecond precision; ties keep the order the spans were exported in.
const byStart = (a, b) => { const x = BigInt(a.startTimeUnixNano), y = BigInt(b.startTimeUnixNano); return x < y ? -1 : x > y ? 1 : 0; };
const ids = new Set(spans.map((s) => s.spanId));
const print = (s, depth) => {
  const events = (s.events ?? []).map((e) => `${e.name}${JSON.stringify(attrs(e.attributes))}`).join(' ');
  const st = s.status?.code ? `${STATUS[s.status.code]}${s.status.message ? `(${s.status.message})` : ''}` : 'UNSET';
  console.log(`${'  '.repeat(depth)}${s.name}  ${KIND[s.kind ?? 0]}  ${s.scope}  ${st}${events ? `  events: ${events}` : ''}`);
  console.log(`${'  '.repeat(depth)}    ${JSON.stringify(attrs(s.attributes))}`);
  for (const c of (children.get(s.spanId) ?? []).sort(byStart)) print(c, depth + 1);
};
const roots = spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId))
  .sort(byStart);
for (const r of roots) {
  console.log(`--- trace ${r.traceId} service=${r.service}${r.parentSpanId ? ` (parent ${r.parentSpanId} not exported)` : ''}`);
  print(r, 0);
}
