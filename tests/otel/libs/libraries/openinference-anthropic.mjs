// @anthropic-ai/sdk + @arizeai/openinference-instrumentation-anthropic, the SDK's own spans off,
// with the app's AGENT and TOOL spans from @arizeai/openinference-core (as openinference-openai).

import { req, setupTracing } from '../harness/runtime.mjs';
import { anthropicRun, newAnthropicClient } from '../harness/anthropic_app.mjs';
import { openInferenceHooks } from './openinference-openai.mjs';

export const openInferenceAnthropic = (sdkSpans) => ({
  provider: 'anthropic',
  scenarios: ['cached', 'stream', 'error', 'tools'],
  spans: { run: () => true, tool: () => true },
  packages: ['@anthropic-ai/sdk', '@arizeai/openinference-instrumentation-anthropic', '@arizeai/openinference-core', '@arizeai/openinference-semantic-conventions'],
  async setup({ plan, agent, fake, truth, results }) {
    const tracing = setupTracing(plan, agent, results);
    const { registerInstrumentations } = req('@opentelemetry/instrumentation');
    const { AnthropicInstrumentation } = req('@arizeai/openinference-instrumentation-anthropic');
    registerInstrumentations({ instrumentations: [new AnthropicInstrumentation()] });  // before require('@anthropic-ai/sdk')
    const client = newAnthropicClient(req, fake.url, sdkSpans);
    const hooks = openInferenceHooks(agent);
    return {
      run: (scenario) => anthropicRun({ client, model: agent.anthropic_model, scenario, truth, hooks }),
      shutdown: tracing.shutdown,
    };
  },
});

export default openInferenceAnthropic(false);
