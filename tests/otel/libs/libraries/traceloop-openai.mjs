// openai + @traceloop/instrumentation-openai 0.22.x (OpenLLMetry), the line before it set
// gen_ai.operation.name (0.25.0 is the first that does). It traces model calls only: no run or
// tool spans, so each call is a root span unless the app has spans of its own (here it has none).

import { req, setupTracing } from '../harness/runtime.mjs';
import { newOpenAIClient, openaiRun } from '../harness/openai_app.mjs';

export default {
  provider: 'openai',
  scenarios: ['cached', 'stream', 'error', 'tools'],
  spans: { run: () => false, tool: () => false },
  packages: ['openai', '@traceloop/instrumentation-openai', '@traceloop/ai-semantic-conventions'],
  async setup({ plan, agent, fake, truth, results }) {
    const tracing = setupTracing(plan, agent, results);
    const { registerInstrumentations } = req('@opentelemetry/instrumentation');
    const { OpenAIInstrumentation } = req('@traceloop/instrumentation-openai');
    registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()] });  // before require('openai')
    const client = newOpenAIClient(req, fake.url);
    return {
      run: (scenario) => openaiRun({ client, model: agent.openai_model, scenario, truth }),
      shutdown: tracing.shutdown,
    };
  },
};
