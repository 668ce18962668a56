// Regenerates fixtures/: runs every library in libraries/ once with plan.example.json and
// keeps what it exported (fixtures/LIB.otlp.jsonl) and its ground truth (fixtures/LIB.truth.json).
//
//   LIBS_MODULES_DIR=DIR node capture_fixtures.mjs [ENDPOINT] [http/protobuf|http/json] [LIB..]
//
// With ENDPOINT (a running agent_exporter), every export must also succeed there.
// NodeSDK (traceloop-workflow) would add host.id, process.command_args, ... of this machine to
// the resource; OTEL_NODE_RESOURCE_DETECTORS=none keeps them out of the committed files.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [endpoint = null, protocol = 'http/protobuf', ...only] = process.argv.slice(2).map((a) => (a === '-' ? null : a));
const libs = only.length ? only : readdirSync(join(here, 'libraries')).map((f) => f.replace(/\.mjs$/, '')).sort();
const out = join(here, 'fixtures');
mkdirSync(out, { recursive: true });

let failed = 0;
for (const lib of libs) {
  const plan = { ...JSON.parse(readFileSync(join(here, 'plan.example.json'), 'utf8')), endpoint, protocol, otlp_json_file: join(out, `${lib}.otlp.jsonl`) };
  const planPath = join(tmpdir(), `libs-plan-${process.pid}.json`);
  writeFileSync(planPath, JSON.stringify(plan));
  const r = spawnSync(process.execPath, [join(here, 'drive.mjs'), lib, planPath], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { OTEL_NODE_RESOURCE_DETECTORS: 'none', ...process.env },
  });
  let truth;
  try {
    truth = JSON.parse(r.stdout);
  } catch {
    truth = { ok: false, problems: [`no result: ${r.stdout}`] };
  }
  writeFileSync(join(out, `${lib}.truth.json`), `${JSON.stringify(truth, null, 1)}\n`);
  const lines = readFileSync(plan.otlp_json_file, 'utf8').split('\n').filter(Boolean).length;
  console.log(`${truth.ok ? 'ok  ' : 'FAIL'} ${lib}: ${truth.calls?.length ?? 0} calls, ${truth.tools?.length ?? 0} tools, ${truth.runs?.length ?? 0} runs, ${lines} export requests${truth.ok ? '' : ` ${JSON.stringify(truth.problems)}`}`);
  if (!truth.ok) failed += 1;
}
process.exit(failed ? 1 : 0);
