// Vercel AI SDK 6 (ai 6.x) with experimental_telemetry, against @ai-sdk/openai (the Responses
// API, which openai(model) uses by default) for even agents and @ai-sdk/anthropic for odd ones.
// The SDK spans every call itself (ai.generateText > ai.generateText.doGenerate, ai.toolCall);
// there is no app code in its outer span, so a run's trace is its first call's.
// tools runs through ToolLoopAgent (a generateText loop, stopWhen stepCountIs(20) by default),
// stream_tools through streamText with stopWhen.

import { req, setupTracing } from '../harness/runtime.mjs';
import { PROMPTS, TOOL_SPECS } from '../harness/scenarios.mjs';

export default {
  provider: (k) => (k % 2 === 0 ? 'openai' : 'anthropic'),
  scenarios: ['cached', 'stream', 'error', 'tools', 'stream_tools', 'object'],
  spans: { run: () => true, runFromCall: () => true, tool: () => true },
  packages: ['ai', '@ai-sdk/openai', '@ai-sdk/anthropic', '@ai-sdk/provider-utils', 'zod'],
  async setup({ plan, agent, k, fake, truth, results }) {
    const tracing = setupTracing(plan, agent, results);
    const ai = req('ai');
    const { z } = req('zod');
    const model = k % 2 === 0
      ? req('@ai-sdk/openai').createOpenAI({ apiKey: 'sk-fake', baseURL: `${fake.url}/v1` })(agent.openai_model)
      : req('@ai-sdk/anthropic').createAnthropic({ apiKey: 'sk-ant-fake', baseURL: `${fake.url}/v1` })(agent.anthropic_model);
    const telemetry = { isEnabled: true, functionId: agent.name, metadata: { agent: agent.name } };
    const common = { model, maxRetries: 0, experimental_telemetry: telemetry };
    const schemas = { get_weather: z.object({ city: z.string() }), lookup_order: z.object({ order_id: z.string() }) };
    const tools = Object.fromEntries(Object.entries(TOOL_SPECS).map(([name, s]) => [name, ai.tool({
      description: s.description, inputSchema: schemas[name], execute: (args) => truth.execTool(name, args),
    })]));
    const scenarios = {
      cached: () => ai.generateText({ ...common, prompt: PROMPTS.cached }).then((r) => r.text),
      stream: () => ai.streamText({ ...common, prompt: PROMPTS.stream }).text,
      error: () => ai.generateText({ ...common, prompt: PROMPTS.error }),
      tools: () => new ai.ToolLoopAgent({ ...common, id: agent.name, instructions: 'You are a test agent.', tools })
        .generate({ prompt: PROMPTS.tools }).then((r) => r.text),
      stream_tools: () => ai.streamText({ ...common, prompt: PROMPTS.stream_tools, tools, stopWhen: ai.stepCountIs(5) }).text,
      object: () => ai.generateObject({ ...common, prompt: PROMPTS.object, schema: z.object({ city: z.string(), temperature_c: z.number() }) })
        .then((r) => r.object),
    };
    return { run: (scenario) => scenarios[scenario](), shutdown: tracing.shutdown };
  },
};
