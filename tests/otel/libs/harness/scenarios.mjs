// The scenarios every library runs, the replies scripted for them, the tools, and the record
// of what really happened (the ground truth).

import { activeIds } from './runtime.mjs';

//   cached       one call whose usage has cache reads (and cache writes on Anthropic)
//   stream       one streamed call, usage requested (stream_options.include_usage)
//   error        one call answered 400: the call and the run fail
//   tools        a call asks for get_weather (succeeds) and lookup_order (throws); the errors go
//                back to the model as tool results; a second call answers
//   stream_tools the same loop, streamed (libraries that stream tool loops)
//   object       one structured-output call (Vercel generateObject)

// Token counts differ per agent (k = its index) so that a count credited to the wrong agent
// shows. OpenAI has no cache writes.
export function replies(scenario, provider, k) {
  const u = (input_uncached, cache_read, cache_creation, output) => ({
    input_uncached: input_uncached + 100 * k, cache_read,
    cache_creation: provider === 'anthropic' ? cache_creation : 0, output: output + 10 * k,
  });
  switch (scenario) {
    case 'cached': return [{ kind: 'text', text: 'Your ticket is resolved.', usage: u(1200, 800, 300, 150) }];
    case 'stream': return [{ kind: 'text', text: 'Here is a streamed answer in a few pieces.', usage: u(500, 256, 64, 90) }];
    case 'error': return [{ kind: 'error', status: 400, message: 'fake provider: this request is invalid' }];
    case 'tools':
    case 'stream_tools': return [
      { kind: 'tools', calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }, { name: 'lookup_order', arguments: { order_id: 'A-17' } }], usage: u(300, 0, 0, 40) },
      { kind: 'text', text: 'Paris is sunny; the order lookup failed.', usage: u(420, 128, 0, 60) },
    ];
    case 'object': return [{ kind: 'text', text: JSON.stringify({ city: 'Paris', temperature_c: 21 }), usage: u(200, 0, 0, 30) }];
    default: throw new Error(`unknown scenario ${scenario}`);
  }
}

export const PROMPTS = {
  cached: 'Summarize ticket 42.',
  stream: 'Explain the refund policy.',
  error: 'This request will be refused.',
  tools: 'What is the weather in Paris, and where is order A-17?',
  stream_tools: 'What is the weather in Paris, and where is order A-17?',
  object: 'Give the weather in Paris as JSON.',
};

export const TOOL_SPECS = {
  get_weather: { description: 'Current weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  lookup_order: { description: 'Where an order is', parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] } },
};

const TOOL_IMPLS = {
  get_weather: async ({ city }) => `sunny, 21C in ${city}`,
  lookup_order: async () => { throw new Error('order service unavailable'); },
};

// Ground truth of one agent's process. Provider requests come from the fake provider's log;
// tools and runs are recorded where they happen, with the trace active there.
export class Truth {
  constructor(library, agent) {
    Object.assign(this, { library, agent, tools: [], runs: [], scenario: null, run: null });
  }

  // Called by each library's app code first thing inside its run (in the run's span, if any).
  enterRun() { this.run.ids = activeIds(); }

  // Executes a tool the way the apps do, recording it; the caller wraps this in its tool span.
  async execTool(name, args) {
    const ids = activeIds();
    try {
      const out = await TOOL_IMPLS[name](args);
      this.tools.push({ library: this.library, agent: this.agent, scenario: this.scenario, tool_name: name, status: 'success', ...ids });
      return out;
    } catch (e) {
      this.tools.push({ library: this.library, agent: this.agent, scenario: this.scenario, tool_name: name, status: 'failure', ...ids });
      throw e;
    }
  }
}
