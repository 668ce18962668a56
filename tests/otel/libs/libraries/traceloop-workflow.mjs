// @traceloop/node-server-sdk (OpenLLMetry's SDK) with its decorators: withWorkflow > withAgent >
// withTask (one per model call) and withTool (one per tool execution), around openai calls that
// the SDK's own bundled @traceloop/instrumentation-openai (same version as the SDK) traces.
// initialize() builds an OpenTelemetry NodeSDK; given `exporter` it sends nothing to
// traceloop.com (traceloopSyncEnabled: false stops its prompt-registry polling too), and its
// span processor (which renames/augments spans) feeds our exporter.

import { req, makeExporter } from '../harness/runtime.mjs';
import { newOpenAIClient, openaiRun } from '../harness/openai_app.mjs';

export default {
  provider: 'openai',
  scenarios: ['cached', 'stream', 'error', 'tools'],
  spans: { run: () => true, tool: () => true },
  packages: ['@traceloop/node-server-sdk', 'openai'],
  async setup({ plan, agent, fake, truth, results }) {
    // NodeSDK would otherwise also start OTLP metric and log exporters aimed at localhost:4318.
    process.env.OTEL_METRICS_EXPORTER ??= 'none';
    process.env.OTEL_LOGS_EXPORTER ??= 'none';
    const traceloop = req('@traceloop/node-server-sdk');
    const { OpenAI } = req('openai');
    traceloop.initialize({
      appName: agent.service_name,
      exporter: makeExporter(plan, results),
      disableBatch: plan.processor === 'simple',
      instrumentModules: { openAI: OpenAI },
      traceloopSyncEnabled: false,
      silenceInitializationMessage: true,
    });
    const client = newOpenAIClient(req, fake.url);
    const hooks = {
      run: (fn) => traceloop.withWorkflow({ name: 'handle_request' }, () => traceloop.withAgent({ name: agent.name }, fn)),
      llm: (fn) => traceloop.withTask({ name: 'chat_turn' }, fn),
      tool: ({ name }, fn) => traceloop.withTool({ name }, fn),
    };
    return {
      run: (scenario) => openaiRun({ client, model: agent.openai_model, scenario, truth, hooks }),
      shutdown: () => traceloop.forceFlush(),
    };
  },
};
