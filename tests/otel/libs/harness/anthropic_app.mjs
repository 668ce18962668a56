// A minimal tool-calling agent over @anthropic-ai/sdk's Messages API, as an application writes
// it: its own loop (hooks wrap the run, each call and each tool, as in openai_app.mjs), or the
// SDK's beta tool runner, which runs the loop and the tools itself.

import { PROMPTS, TOOL_SPECS } from './scenarios.mjs';

const identity = { run: (fn) => fn(), llm: (fn) => fn(), tool: (_call, fn) => fn() };

// sdkSpans: the SDK's own OpenTelemetry spans (on by default since 0.134.0 whenever a global
// tracer provider is registered); false is the client option that turns them off.
// pkg: '@anthropic-ai/sdk' is 0.137.0, the last release that Traceloop's instrumentation can
// load; 'anthropic-sdk-v1' is 1.x (an npm alias, so instrumentations do not see it).
export const SDK = '@anthropic-ai/sdk';
export const SDK_V1 = 'anthropic-sdk-v1';

export function newAnthropicClient(req, baseURL, sdkSpans, pkg = SDK) {
  const Anthropic = req(pkg).default;
  return new Anthropic({ apiKey: 'sk-ant-fake', baseURL, maxRetries: 0, ...(sdkSpans ? {} : { openTelemetry: false }) });
}

const tools = () => Object.entries(TOOL_SPECS).map(([name, s]) => ({ name, description: s.description, input_schema: s.parameters }));

export async function anthropicRun({ client, model, scenario, truth, hooks = {} }) {
  const h = { ...identity, ...hooks };
  return h.run(async () => {
    truth.enterRun();
    const messages = [{ role: 'user', content: PROMPTS[scenario] }];
    for (let step = 0; step < 4; step++) {
      const params = { model, max_tokens: 4096, system: 'You are a test agent.', messages, ...(scenario.includes('tools') ? { tools: tools() } : {}) };
      const msg = await h.llm(() => (scenario.startsWith('stream')
        ? client.messages.stream(params).finalMessage()
        : client.messages.create(params)));
      messages.push({ role: 'assistant', content: msg.content });
      const uses = msg.content.filter((b) => b.type === 'tool_use');
      if (!uses.length) return msg.content.find((b) => b.type === 'text')?.text;
      const results = [];
      for (const use of uses) {
        try {
          const out = await h.tool({ name: use.name, id: use.id, args: use.input }, () => truth.execTool(use.name, use.input));
          results.push({ type: 'tool_result', tool_use_id: use.id, content: out });
        } catch (e) {
          results.push({ type: 'tool_result', tool_use_id: use.id, content: `error: ${e.message}`, is_error: true });
        }
      }
      messages.push({ role: 'user', content: results });
    }
    throw new Error('tool loop did not finish');
  });
}

// The tools scenario through client.beta.messages.toolRunner (the SDK executes the tools and
// turns a thrown error into an is_error tool result); other scenarios as above.
export async function anthropicToolRunnerRun({ req, pkg = SDK, client, model, scenario, truth }) {
  if (!scenario.includes('tools')) return anthropicRun({ client, model, scenario, truth });
  truth.enterRun();
  const { betaTool } = req(`${pkg}/helpers/beta/json-schema`);
  const runnable = Object.entries(TOOL_SPECS).map(([name, s]) => betaTool({
    name, description: s.description, inputSchema: s.parameters, run: (args) => truth.execTool(name, args),
  }));
  const final = await client.beta.messages.toolRunner({
    model, max_tokens: 4096, messages: [{ role: 'user', content: PROMPTS[scenario] }], tools: runnable,
    ...(scenario === 'stream_tools' ? { stream: true } : {}),
  });
  return final.content.find((b) => b.type === 'text')?.text;
}
