// @anthropic-ai/sdk 1.x's own OpenTelemetry spans (scope com.anthropic.sdk.typescript, on by
// default since 0.134.0 once a global tracer provider is registered), with no instrumentation.
// The tool loop runs through client.beta.messages.toolRunner, which also spans the loop
// (invoke_agent) and each tool (execute_tool); a hand-written loop gets call spans only.

import { req, setupTracing } from '../harness/runtime.mjs';
import { SDK, SDK_V1, anthropicToolRunnerRun, newAnthropicClient } from '../harness/anthropic_app.mjs';

export const anthropicScenarios = ['cached', 'stream', 'error', 'tools'];

// The same application for the Traceloop variants: only what is registered differs.
export async function anthropicSetup({ plan, agent, fake, truth, results }, { sdkSpans, instrumentation, pkg = SDK }) {
  const tracing = setupTracing(plan, agent, results);
  if (instrumentation) {
    const { registerInstrumentations } = req('@opentelemetry/instrumentation');
    registerInstrumentations({ instrumentations: [instrumentation()] });  // before require('@anthropic-ai/sdk')
  }
  const client = newAnthropicClient(req, fake.url, sdkSpans, pkg);
  return {
    run: (scenario) => anthropicToolRunnerRun({ req, pkg, client, model: agent.anthropic_model, scenario, truth }),
    shutdown: tracing.shutdown,
  };
}

export default {
  provider: 'anthropic',
  scenarios: anthropicScenarios,
  spans: { run: (s) => s === 'tools', runFromCall: (s) => s === 'tools', tool: () => true },
  packages: [SDK_V1],
  setup: (ctx) => anthropicSetup(ctx, { sdkSpans: true, pkg: SDK_V1 }),
};
