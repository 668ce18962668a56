// A scripted stand-in for the OpenAI and Anthropic HTTP APIs, so that real SDKs and their
// instrumentations run unmodified while every token count is known exactly.
//
//   node fake_provider.mjs            # standalone: prints {"port": N}, scripted over HTTP
//   import { startFakeProvider } ...  # in process (drive.mjs)
//
// Each request to a model endpoint takes the next scripted reply (FIFO), whatever its endpoint:
//   {kind: "text",  text, usage}
//   {kind: "tools", calls: [{id?, name, arguments: {..}}], text?, usage}
//   {kind: "error", status (400 so that no SDK retries), message}
// usage is provider-neutral: {input_uncached, output, cache_read, cache_creation}. It is
// rendered the way each API counts: OpenAI's prompt_tokens / input_tokens include the cached
// tokens (cached_tokens is a part of them, and OpenAI has no cache writes), Anthropic's
// input_tokens exclude cache_read_input_tokens and cache_creation_input_tokens.
//
// Served: POST /v1/chat/completions (stream or not; usage in a stream only with
// stream_options.include_usage, as the real API does), POST /v1/responses (stream or not),
// POST /v1/messages (stream or not). The reply's model echoes the requested one.
// Control (standalone use): POST /_script (JSON array of replies, appended), GET /_requests.
//
// Every request served is recorded with what the provider actually answered, plus the
// traceparent and x-drive-context headers it carried (drive.mjs sets the latter to the span
// context active when the SDK called fetch).

import http from 'node:http';
import { pathToFileURL } from 'node:url';

export function startFakeProvider() {
  const queue = [];
  const requests = [];
  let seq = 0;

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString('utf8');
    try {
      if (req.method === 'POST' && req.url === '/_script') {
        queue.push(...JSON.parse(raw));
        return json(res, 200, { queued: queue.length });
      }
      if (req.method === 'GET' && req.url === '/_requests') return json(res, 200, requests);
      const route = ROUTES[`${req.method} ${req.url.split('?')[0]}`];
      if (!route) return json(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      const body = JSON.parse(raw || '{}');
      const reply = queue.shift();
      const n = ++seq;
      const record = {
        seq: n, provider: route.provider, api: route.api, path: req.url, model: body.model,
        stream: body.stream === true, traceparent: req.headers.traceparent ?? null,
        drive_context: req.headers['x-drive-context'] ?? null,
      };
      requests.push(record);
      if (!reply) {
        Object.assign(record, { status: 'failure', http_status: 500, usage: null, error: 'unscripted' });
        return json(res, 500, { error: { message: 'fake provider: no scripted reply left' } });
      }
      if (reply.kind === 'error') {
        Object.assign(record, { status: 'failure', http_status: reply.status, usage: null });
        return json(res, reply.status, route.error(reply));
      }
      const usage = { input_uncached: 0, output: 0, cache_read: 0, cache_creation: 0, ...reply.usage };
      const calls = (reply.calls ?? []).map((c, i) => ({ id: c.id ?? `call_${n}_${i}`, ...c }));
      const ctx = { n, model: body.model, reply, usage, calls, created: 1765000000 + n };
      // A stream without include_usage carries no usage: the provider reported none.
      const reported = route.api !== 'chat.completions' || !record.stream ||
        body.stream_options?.include_usage === true;
      Object.assign(record, {
        status: 'success', http_status: 200, usage: reported ? usage : null,
        // As each API words it (the Responses API has none: its items tell).
        finish_reason: route.provider === 'anthropic' ? (calls.length ? 'tool_use' : 'end_turn') : (calls.length ? 'tool_calls' : 'stop'),
        tool_calls: calls.map((c) => c.name),
      });
      if (record.stream) return sse(res, route.stream(ctx, body));
      return json(res, 200, route.reply(ctx));
    } catch (e) {
      json(res, 500, { error: { message: String(e?.stack ?? e) } });
    }
  });

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      url: `http://127.0.0.1:${server.address().port}`,
      script: (...replies) => queue.push(...replies),
      pending: () => queue.length,
      requests,
      close: () => new Promise((r) => server.close(r)),
    }));
  });
}

function json(res, status, obj) {
  const data = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_fake', 'x-request-id': 'req_fake' });
  res.end(data);
}

// events: [[eventName|null, data]]; OpenAI streams have no event names and end with [DONE].
function sse(res, events) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': 'req_fake' });
  for (const [name, data] of events) {
    if (name) res.write(`event: ${name}\n`);
    res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  }
  res.end();
}

// ---- OpenAI Chat Completions -------------------------------------------------------------

function chatUsage(u) {
  const prompt = u.input_uncached + u.cache_read;
  return {
    prompt_tokens: prompt, completion_tokens: u.output, total_tokens: prompt + u.output,
    prompt_tokens_details: { cached_tokens: u.cache_read, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

const chatToolCalls = (calls) => calls.map((c) => ({
  id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments ?? {}) },
}));

const chat = {
  provider: 'openai', api: 'chat.completions',
  error: (r) => ({ error: { message: r.message ?? 'bad request', type: 'invalid_request_error', param: null, code: null } }),
  reply: ({ n, model, reply, usage, calls, created }) => ({
    id: `chatcmpl-${n}`, object: 'chat.completion', created, model, system_fingerprint: 'fp_fake',
    choices: [{
      index: 0, logprobs: null, finish_reason: calls.length ? 'tool_calls' : 'stop',
      message: {
        role: 'assistant', content: reply.text ?? null, refusal: null,
        ...(calls.length ? { tool_calls: chatToolCalls(calls) } : {}),
      },
    }],
    usage: chatUsage(usage),
  }),
  stream: ({ n, model, reply, usage, calls, created }, body) => {
    const base = { id: `chatcmpl-${n}`, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake' };
    const withUsage = body.stream_options?.include_usage === true;
    const chunk = (delta, finish = null) => [null, {
      ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(withUsage ? { usage: null } : {}),
    }];
    const out = [chunk({ role: 'assistant', content: '', refusal: null })];
    for (const piece of split(reply.text)) out.push(chunk({ content: piece }));
    calls.forEach((c, i) => {
      out.push(chunk({ tool_calls: [{ index: i, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] }));
      out.push(chunk({ tool_calls: [{ index: i, function: { arguments: JSON.stringify(c.arguments ?? {}) } }] }));
    });
    out.push(chunk({}, calls.length ? 'tool_calls' : 'stop'));
    if (withUsage) out.push([null, { ...base, choices: [], usage: chatUsage(usage) }]);
    out.push([null, '[DONE]']);
    return out;
  },
};

// ---- OpenAI Responses --------------------------------------------------------------------

function responsesUsage(u) {
  const input = u.input_uncached + u.cache_read;
  return {
    input_tokens: input, input_tokens_details: { cached_tokens: u.cache_read },
    output_tokens: u.output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + u.output,
  };
}

function responsesOutput({ n, reply, calls }) {
  const out = [];
  if (reply.text) {
    out.push({
      type: 'message', id: `msg_${n}`, status: 'completed', role: 'assistant',
      content: [{ type: 'output_text', text: reply.text, annotations: [], logprobs: [] }],
    });
  }
  calls.forEach((c, i) => out.push({
    type: 'function_call', id: `fc_${n}_${i}`, call_id: c.id, name: c.name,
    arguments: JSON.stringify(c.arguments ?? {}), status: 'completed',
  }));
  return out;
}

const responses = {
  provider: 'openai', api: 'responses',
  error: chat.error,
  reply: (ctx) => ({
    id: `resp_${ctx.n}`, object: 'response', created_at: ctx.created, status: 'completed', model: ctx.model,
    output: responsesOutput(ctx), usage: responsesUsage(ctx.usage), incomplete_details: null, error: null,
    parallel_tool_calls: true, tool_choice: 'auto', tools: [], text: { format: { type: 'text' } },
  }),
  stream: (ctx) => {
    const head = { id: `resp_${ctx.n}`, object: 'response', created_at: ctx.created, model: ctx.model };
    let sq = 0;
    const ev = (type, data) => [type, { type, sequence_number: sq++, ...data }];
    const out = [ev('response.created', { response: { ...head, status: 'in_progress', output: [] } })];
    responsesOutput(ctx).forEach((item, i) => {
      if (item.type === 'message') {
        out.push(ev('response.output_item.added', { output_index: i, item: { ...item, status: 'in_progress', content: [] } }));
        for (const piece of split(ctx.reply.text)) {
          out.push(ev('response.output_text.delta', { item_id: item.id, output_index: i, content_index: 0, delta: piece, logprobs: [] }));
        }
      } else {
        out.push(ev('response.output_item.added', { output_index: i, item: { ...item, status: 'in_progress', arguments: '' } }));
        out.push(ev('response.function_call_arguments.delta', { item_id: item.id, output_index: i, delta: item.arguments }));
        out.push(ev('response.function_call_arguments.done', { item_id: item.id, output_index: i, arguments: item.arguments }));
      }
      out.push(ev('response.output_item.done', { output_index: i, item }));
    });
    out.push(ev('response.completed', { response: responses.reply(ctx) }));
    return out;
  },
};

// ---- Anthropic Messages ------------------------------------------------------------------

const anthropicUsage = (u, output = u.output) => ({
  input_tokens: u.input_uncached, cache_creation_input_tokens: u.cache_creation,
  cache_read_input_tokens: u.cache_read, output_tokens: output, service_tier: 'standard',
});

function anthropicContent({ reply, calls }) {
  const content = reply.text ? [{ type: 'text', text: reply.text }] : [];
  for (const c of calls) content.push({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments ?? {} });
  return content;
}

const messages = {
  provider: 'anthropic', api: 'messages',
  error: (r) => ({ type: 'error', error: { type: 'invalid_request_error', message: r.message ?? 'bad request' } }),
  reply: (ctx) => ({
    id: `msg_${ctx.n}`, type: 'message', role: 'assistant', model: ctx.model, content: anthropicContent(ctx),
    stop_reason: ctx.calls.length ? 'tool_use' : 'end_turn', stop_sequence: null, usage: anthropicUsage(ctx.usage),
  }),
  stream: (ctx) => {
    const ev = (type, data) => [type, { type, ...data }];
    const out = [ev('message_start', { message: {
      id: `msg_${ctx.n}`, type: 'message', role: 'assistant', model: ctx.model, content: [],
      stop_reason: null, stop_sequence: null, usage: anthropicUsage(ctx.usage, 1),
    } })];
    anthropicContent(ctx).forEach((block, index) => {
      if (block.type === 'text') {
        out.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }));
        for (const text of split(block.text)) out.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text } }));
      } else {
        out.push(ev('content_block_start', { index, content_block: { ...block, input: {} } }));
        out.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } }));
      }
      out.push(ev('content_block_stop', { index }));
    });
    // message_delta's usage is cumulative; the real API repeats the input counts there.
    out.push(ev('message_delta', {
      delta: { stop_reason: ctx.calls.length ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage: { ...anthropicUsage(ctx.usage), service_tier: undefined },
    }));
    out.push(ev('message_stop', {}));
    return out;
  },
};

const ROUTES = {
  'POST /v1/chat/completions': chat,
  'POST /v1/responses': responses,
  'POST /v1/messages': messages,
};

// A few deltas per text, so that streaming code paths really accumulate.
function split(text) {
  if (!text) return [];
  const words = text.split(/(?<= )/);
  const size = Math.max(1, Math.ceil(words.length / 3));
  const out = [];
  for (let i = 0; i < words.length; i += size) out.push(words.slice(i, i + size).join(''));
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const p = await startFakeProvider();
  console.log(JSON.stringify({ port: p.port }));
}
