// Hand-written spans shaped exactly like the Python example in the source article (seed 002),
// translated to JS, around the real @anthropic-ai/sdk with no instrumentation (its own spans
// off). Python's start_as_current_span records an escaping exception and sets ERROR; inSpan
// does the same. The article does not handle tool errors: here the tool's exception leaves its
// tool span (so that span is ERROR) and the loop reports it to the model.

import { api, inSpan, req, setupTracing } from '../harness/runtime.mjs';
import { newAnthropicClient } from '../harness/anthropic_app.mjs';
import { PROMPTS, TOOL_SPECS } from '../harness/scenarios.mjs';

// The article's estimate (USD per million tokens, Sonnet list prices; it ignores cache tokens).
const PRICE_IN = 3.0;
const PRICE_OUT = 15.0;

async function agentRun({ tracer, client, model, scenario, truth, incidentId }) {
  return inSpan(tracer, 'agent.run', {
    kind: api.SpanKind.CLIENT,
    attributes: { 'gen_ai.system': 'anthropic', 'gen_ai.request.model': model, 'incident.id': incidentId, 'agent.type': 'incident-responder' },
  }, async (root) => {
    truth.enterRun();
    const messages = [{ role: 'user', content: PROMPTS[scenario] }];
    const tools = scenario === 'tools' ? Object.entries(TOOL_SPECS).map(([name, s]) => ({ name, description: s.description, input_schema: s.parameters })) : undefined;
    let totalIn = 0;
    let totalOut = 0;
    let toolCalls = 0;
    for (;;) {
      const response = await inSpan(tracer, 'gen_ai.chat', {}, async (span) => {
        span.setAttribute('gen_ai.request.max_tokens', 4096);
        span.setAttribute('message_count', messages.length);
        const start = performance.now();
        const r = await client.messages.create({ model, max_tokens: 4096, messages, ...(tools ? { tools } : {}) });
        span.setAttribute('gen_ai.response.id', r.id);
        span.setAttribute('gen_ai.response.finish_reason', r.stop_reason);
        span.setAttribute('gen_ai.usage.input_tokens', r.usage.input_tokens);
        span.setAttribute('gen_ai.usage.output_tokens', r.usage.output_tokens);
        span.setAttribute('gen_ai.latency_ms', performance.now() - start);
        return r;
      });
      totalIn += response.usage.input_tokens;
      totalOut += response.usage.output_tokens;
      messages.push({ role: 'assistant', content: response.content });
      if (response.stop_reason !== 'tool_use') break;
      const results = [];
      for (const block of response.content.filter((b) => b.type === 'tool_use')) {
        toolCalls += 1;
        let result;
        try {
          result = await inSpan(tracer, `gen_ai.tool.${block.name}`, {}, async (tspan) => {
            tspan.setAttribute('gen_ai.tool.name', block.name);
            tspan.setAttribute('gen_ai.tool.call.id', block.id);
            tspan.setAttribute('tool.input', JSON.stringify(block.input));
            const out = await truth.execTool(block.name, block.input);
            tspan.setAttribute('tool.result_length', String(out).length);
            return out;
          });
        } catch (e) {
          result = `error: ${e.message}`;
        }
        results.push({ type: 'tool_result', tool_use_id: block.id, content: result });
      }
      messages.push({ role: 'user', content: results });
    }
    root.setAttribute('agent.total_input_tokens', totalIn);
    root.setAttribute('agent.total_output_tokens', totalOut);
    root.setAttribute('agent.tool_calls_made', toolCalls);
    root.setAttribute('agent.estimated_cost_usd', (totalIn * PRICE_IN + totalOut * PRICE_OUT) / 1e6);
    return messages.at(-1).content;
  });
}

export default {
  provider: 'anthropic',
  scenarios: ['cached', 'error', 'tools'],  // the article's loop does not stream
  spans: { run: () => true, tool: () => true },
  packages: ['@anthropic-ai/sdk'],
  async setup({ plan, agent, fake, truth, results }) {
    const tracing = setupTracing(plan, agent, results);
    const client = newAnthropicClient(req, fake.url, false);
    const tracer = api.trace.getTracer('incident-agent');
    let n = 0;
    return {
      run: (scenario) => agentRun({ tracer, client, model: agent.anthropic_model, scenario, truth, incidentId: `INC-${1000 + ++n}` }),
      shutdown: tracing.shutdown,
    };
  },
};
