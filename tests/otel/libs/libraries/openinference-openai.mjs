// openai + @arizeai/openinference-instrumentation-openai. OpenInference marks spans with
// openinference.span.kind; the app makes its AGENT and TOOL spans with the
// @arizeai/openinference-core helpers traceAgent / traceTool, as OpenInference documents.

import { req, setupTracing } from '../harness/runtime.mjs';
import { newOpenAIClient, openaiRun } from '../harness/openai_app.mjs';

export function openInferenceHooks(agent) {
  const { traceAgent, traceTool } = req('@arizeai/openinference-core');
  return {
    run: (fn) => traceAgent(fn, { name: agent.name, attributes: { 'agent.name': agent.name } })(),
    // The wrapped function gets the tool's arguments so that they become input.value.
    tool: ({ name, id, args }, fn) => traceTool((_args) => fn(), { name, attributes: { 'tool.name': name, 'tool_call.id': id } })(args),
  };
}

export default {
  provider: 'openai',
  scenarios: ['cached', 'stream', 'error', 'tools'],
  spans: { run: () => true, tool: () => true },
  packages: ['openai', '@arizeai/openinference-instrumentation-openai', '@arizeai/openinference-core', '@arizeai/openinference-semantic-conventions'],
  async setup({ plan, agent, fake, truth, results }) {
    const tracing = setupTracing(plan, agent, results);
    const { registerInstrumentations } = req('@opentelemetry/instrumentation');
    const { OpenAIInstrumentation } = req('@arizeai/openinference-instrumentation-openai');
    registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()] });  // before require('openai')
    const client = newOpenAIClient(req, fake.url);
    const hooks = openInferenceHooks(agent);
    return {
      run: (scenario) => openaiRun({ client, model: agent.openai_model, scenario, truth, hooks }),
      shutdown: tracing.shutdown,
    };
  },
};
