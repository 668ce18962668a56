// openai + the official OpenTelemetry contrib instrumentation (@opentelemetry/instrumentation-openai).
// It traces only the model calls; as the GenAI semantic conventions expect of applications, the
// app itself wraps each run in an invoke_agent span and each tool execution in execute_tool.

import { api, inSpan, req, setupTracing } from '../harness/runtime.mjs';
import { newOpenAIClient, openaiRun } from '../harness/openai_app.mjs';

// error.type as the conventions define it for application spans: the exception's class.
const failing = (span, fn) => fn().catch((e) => {
  span.setAttribute('error.type', e?.constructor?.name ?? 'Error');
  throw e;
});

export default {
  provider: 'openai',
  scenarios: ['cached', 'stream', 'error', 'tools'],
  spans: { run: () => true, tool: () => true },
  packages: ['openai', '@opentelemetry/instrumentation-openai', '@opentelemetry/sdk-trace-base'],
  async setup({ plan, agent, fake, truth, results }) {
    const tracing = setupTracing(plan, agent, results);
    const { registerInstrumentations } = req('@opentelemetry/instrumentation');
    const { OpenAIInstrumentation } = req('@opentelemetry/instrumentation-openai');
    registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()] });  // before require('openai')
    const client = newOpenAIClient(req, fake.url);
    const tracer = api.trace.getTracer('example-agent-app', '1.0.0');
    const hooks = {
      run: (fn) => inSpan(tracer, `invoke_agent ${agent.name}`, {
        kind: api.SpanKind.INTERNAL,
        attributes: {
          'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': agent.name,
          'gen_ai.provider.name': 'openai', 'gen_ai.request.model': agent.openai_model,
        },
      }, (span) => failing(span, fn)),
      tool: ({ name, id }, fn) => inSpan(tracer, `execute_tool ${name}`, {
        kind: api.SpanKind.INTERNAL,
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name, 'gen_ai.tool.call.id': id, 'gen_ai.tool.type': 'function' },
      }, (span) => failing(span, fn)),
    };
    return {
      run: (scenario) => openaiRun({ client, model: agent.openai_model, scenario, truth, hooks }),
      shutdown: tracing.shutdown,
    };
  },
};
