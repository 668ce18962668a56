// A minimal tool-calling agent over the openai SDK's Chat Completions, as an application writes
// it. Libraries differ only in their hooks, which wrap the whole run, each model call and each
// tool execution in whatever spans that library's users create (identity when none).

import { PROMPTS, TOOL_SPECS } from './scenarios.mjs';

const identity = { run: (fn) => fn(), llm: (fn) => fn(), tool: (_call, fn) => fn() };

export function newOpenAIClient(req, baseURL) {
  const { OpenAI } = req('openai');
  return new OpenAI({ apiKey: 'sk-fake', baseURL: `${baseURL}/v1`, maxRetries: 0 });
}

export async function openaiRun({ client, model, scenario, truth, hooks = {} }) {
  const h = { ...identity, ...hooks };
  return h.run(async () => {
    truth.enterRun();
    const stream = scenario === 'stream' || scenario === 'stream_tools';
    const tools = scenario.includes('tools')
      ? Object.entries(TOOL_SPECS).map(([name, s]) => ({ type: 'function', function: { name, ...s } }))
      : undefined;
    const messages = [{ role: 'system', content: 'You are a test agent.' }, { role: 'user', content: PROMPTS[scenario] }];
    for (let step = 0; step < 4; step++) {
      const params = { model, messages, tools, max_tokens: 1024, temperature: 0.2 };
      const msg = await h.llm(() => (stream ? streamed(client, params) : client.chat.completions.create(params).then((r) => r.choices[0].message)));
      messages.push(msg);
      if (!msg.tool_calls?.length) return msg.content;
      for (const call of msg.tool_calls) {
        const args = JSON.parse(call.function.arguments);
        let content;
        try {
          content = await h.tool({ name: call.function.name, id: call.id, args }, () => truth.execTool(call.function.name, args));
        } catch (e) {
          content = `error: ${e.message}`;
        }
        messages.push({ role: 'tool', tool_call_id: call.id, content });
      }
    }
    throw new Error('tool loop did not finish');
  });
}

// Reads a streamed completion to the end, rebuilding the assistant message.
async function streamed(client, params) {
  const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
  const msg = { role: 'assistant', content: '', tool_calls: [] };
  for await (const chunk of stream) {
    const d = chunk.choices[0]?.delta;
    if (!d) continue;
    if (d.content) msg.content += d.content;
    for (const t of d.tool_calls ?? []) {
      const slot = (msg.tool_calls[t.index] ??= { id: t.id, type: 'function', function: { name: '', arguments: '' } });
      if (t.function?.name) slot.function.name = t.function.name;
      if (t.function?.arguments) slot.function.arguments += t.function.arguments;
    }
  }
  if (!msg.tool_calls.length) delete msg.tool_calls;
  return msg;
}
