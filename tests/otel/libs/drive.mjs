// Runs a real GenAI instrumentation library against the scripted fake provider and exports
// its spans to an OTLP endpoint, printing the ground truth of what happened.
//
//   node drive.mjs LIBRARY PLAN.json
//
// LIBRARY: a module in libraries/ (otel-openai, vercel-ai, traceloop-openai, ...).
// PLAN (see plan.example.json):
//   {"endpoint": "http://127.0.0.1:PORT" | null,     null: write otlp_json_file only
//    "protocol": "http/protobuf" | "http/json",
//    "processor": "batch" | "simple",
//    "otlp_json_file": "PATH" | null,                 every export request as one JSON line
//    "agents": [{"name", "service_name", "openai_model", "anthropic_model", "scenarios": [..]}]}
// Scenarios a library cannot run are skipped (harness/scenarios.mjs lists them all).
//
// Each agent runs in its own process (its own tracer provider and service.name, as two
// services would), one after the other. stdout: one JSON object,
//   {library, versions, calls: [..], tools: [..], runs: [..], exports: [..], ok}
// calls are the provider's own log of what it answered; `spanned` says whether the library
// emits a span for that run or tool at all. Exit 1 when an export or a scenario went wrong.
// Set LIBS_MODULES_DIR to the folder whose node_modules to use (default: this folder).

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [library, planPath, agentArg] = process.argv.slice(2);
if (!library || !planPath) {
  console.error('usage: node drive.mjs LIBRARY PLAN.json');
  process.exit(2);
}
const plan = JSON.parse(readFileSync(planPath, 'utf8'));

if (agentArg === undefined) {
  if (plan.otlp_json_file) writeFileSync(plan.otlp_json_file, '');
  const parts = plan.agents.map((_, i) => {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), library, planPath, String(i)], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20,
    });
    if (r.status !== 0) console.error(`drive: agent ${i} exited ${r.status}`);
    try {
      return JSON.parse(r.stdout.trim().split('\n').pop());
    } catch {
      console.error(`drive: agent ${i} printed no result:\n${r.stdout}`);
      return { ok: false, calls: [], tools: [], runs: [], exports: [], problems: ['no result'] };
    }
  });
  const merged = { library, versions: parts[0]?.versions, ok: parts.every((p) => p.ok) };
  for (const key of ['calls', 'tools', 'runs', 'exports', 'problems']) merged[key] = parts.flatMap((p) => p[key] ?? []);
  console.log(JSON.stringify(merged));
  process.exit(merged.ok ? 0 : 1);
}

// ---- one agent ---------------------------------------------------------------------------

const { captureContextInFetch, packageVersion } = await import('./harness/runtime.mjs');
const { startFakeProvider } = await import('./fake_provider.mjs');
const { Truth, replies } = await import('./harness/scenarios.mjs');

const k = Number(agentArg);
const agent = { service_name: plan.agents[k].name, ...plan.agents[k] };
const lib = (await import(`./libraries/${library}.mjs`)).default;
const provider = typeof lib.provider === 'function' ? lib.provider(k) : lib.provider;

captureContextInFetch();  // before any SDK client is built
const fake = await startFakeProvider();
const truth = new Truth(library, agent.name);
const exports = [];
const problems = [];
const app = await lib.setup({ plan, agent, k, fake, truth, results: exports });

const runs = [];
const calls = [];
for (const scenario of agent.scenarios.filter((s) => lib.scenarios.includes(s))) {
  truth.scenario = scenario;
  truth.run = { ids: { trace_id: null, span_id: null } };
  const first = fake.requests.length;
  fake.script(...replies(scenario, provider, k));
  let status = 'success';
  try {
    await app.run(scenario);
  } catch (e) {
    status = 'failure';
    if (scenario !== 'error') problems.push(`${scenario}: ${e?.stack ?? e}`);
  }
  if (scenario === 'error' && status !== 'failure') problems.push('error: the run did not fail');
  if (fake.pending()) problems.push(`${scenario}: ${fake.pending()} scripted replies left`);
  const served = fake.requests.slice(first);
  for (const r of served) {
    const [trace_id, span_id] = r.drive_context && r.drive_context !== 'none' ? r.drive_context.split('-') : [null, null];
    calls.push({
      library, agent: agent.name, service_name: agent.service_name, scenario, provider: r.provider, api: r.api,
      model: r.model, stream: r.stream, status: r.status, http_status: r.http_status, usage: r.usage,
      finish_reason: r.finish_reason ?? null, tool_calls: r.tool_calls ?? [], trace_id, span_id, traceparent: r.traceparent,
    });
  }
  // A run span the library itself starts (no app code runs inside it before the first call)
  // shares its trace with that call.
  let { trace_id } = truth.run.ids;
  if (!trace_id && lib.spans.runFromCall?.(scenario)) trace_id = calls.find((c) => c.scenario === scenario && c.trace_id)?.trace_id ?? null;
  runs.push({ library, agent: agent.name, service_name: agent.service_name, scenario, status, trace_id, spanned: lib.spans.run(scenario) });
}
const tools = truth.tools.map((t) => ({ ...t, service_name: agent.service_name, spanned: lib.spans.tool(t.scenario) }));

await app.shutdown();
await fake.close();
if (!exports.length) problems.push('nothing was exported');
for (const e of exports) if (e.code !== 0) problems.push(`export failed: ${e.error}`);
const versions = Object.fromEntries(lib.packages.map((p) => [p, packageVersion(p)]));
// Exit explicitly: some SDKs (Traceloop's NodeSDK) keep timers alive after their last flush.
const ok = problems.length === 0;
process.stdout.write(`${JSON.stringify({ library, versions, calls, tools, runs, exports, problems, ok })}\n`, () => process.exit(ok ? 0 : 1));
