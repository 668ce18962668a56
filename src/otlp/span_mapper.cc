#include "otlp/span_mapper.h"

#include <algorithm>
#include <numeric>

#include "otlp/map_util.h"

namespace agx::otlp {

using detail::Amount;
using detail::ItemRef;
using detail::Problem;

namespace {

constexpr int kMaxAncestors = 64;  // parent links followed within a request

std::uint8_t MarkOf(SpanEventKind k) {
  switch (k) {
    case SpanEventKind::kLlmCall: return kMarkLlm;
    case SpanEventKind::kToolCall: return kMarkTool;
    case SpanEventKind::kRun: return kMarkRun;
    default: return 0;
  }
}

std::string_view MarkName(std::uint8_t m) {
  return m == kMarkLlm ? "an LLM call" : m == kMarkTool ? "a tool call" : "a run";
}

// FNV-1a: the agent of a counted run, to tell nested levels of one agent (one run) from a
// sub-agent (a run of its own). 0 is kept for "none".
std::uint32_t AgentHash(std::string_view agent) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : agent) h = (h ^ c) * 16777619u;
  return h == 0 ? 1 : h;
}

bool ContainsTimeout(std::string_view s) {
  constexpr std::string_view kWord = "timeout";
  for (std::size_t i = 0; i + kWord.size() <= s.size(); ++i) {
    bool match = true;
    for (std::size_t j = 0; j < kWord.size() && match; ++j) {
      char c = s[i + j];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      match = c == kWord[j];
    }
    if (match) return true;
  }
  return false;
}

}  // namespace

struct SpanMapper::Item {
  const Attributes* resource = nullptr;
  const ScopeMatch* scope = nullptr;
  std::string_view scope_name;
  const Span* span = nullptr;
  std::size_t index = 0;  // position in the request
  int parent = -1;        // the parent's item, when it is in this request
  int depth = 0;
  std::uint8_t below = 0;  // marks counted below, from spans of this request
  std::uint32_t below_agent = 0;
};

struct SpanMapper::Context {
  MappedBatch* out = nullptr;
  std::vector<Item> items;
  std::vector<ScopeMatch> scopes;
  SpanFacts facts;  // reused from span to span
};

SpanMapper::SpanMapper(const OtlpConfig& config)
    : config_(config),
      classifier_(config.span_rules, config.agent_id_attributes),
      memory_(config.span_memory_entries) {}

void SpanMapper::Map(const ExportRequest& request, MappedBatch* out) const {
  Context ctx;
  ctx.out = out;
  std::size_t n = 0, scopes = 0;
  for (const auto& r : request.spans) {
    scopes += r.scopes.size();
    for (const auto& sc : r.scopes) n += sc.items.size();
  }
  if (n == 0) return;
  ctx.items.reserve(n);
  ctx.scopes.reserve(scopes);
  for (const auto& r : request.spans) {
    for (const auto& sc : r.scopes) {
      ctx.scopes.push_back(classifier_.MatchScope(sc.scope_name));
      for (const Span& s : sc.items) {
        Item it;
        it.resource = &r.resource;
        it.scope = &ctx.scopes.back();
        it.scope_name = sc.scope_name;
        it.span = &s;
        it.index = ctx.items.size();
        ctx.items.push_back(it);
      }
    }
  }

  // Children before parents: a parent learns what was counted below it before it is
  // classified (SDKs export in end order, which is child first, but nothing guarantees it).
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (n > 1) {
    std::unordered_map<std::uint64_t, int> by_id;
    by_id.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (const std::uint64_t id = SpanKey(ctx.items[i].span->span_id.view())) by_id[id] = static_cast<int>(i);
    }
    for (Item& it : ctx.items) {
      if (!it.span->parent_span_id.present) continue;
      auto p = by_id.find(SpanKey(it.span->parent_span_id.view()));
      if (p != by_id.end() && p->second != static_cast<int>(it.index)) it.parent = p->second;
    }
    for (Item& it : ctx.items) {
      for (int j = it.parent; j >= 0 && it.depth < kMaxAncestors; j = ctx.items[j].parent) ++it.depth;
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return ctx.items[a].depth > ctx.items[b].depth;
    });
  }

  const std::size_t explain_start = out->explain != nullptr ? out->explain->size() : 0;
  {
    auto lock = memory_.Lock();
    const std::size_t updates_start = out->span_updates.size();
    for (std::size_t i : order) MapOne(ctx, i);
    memory_.ReserveLocked(std::span(out->span_updates).subspan(updates_start));
  }
  if (out->explain != nullptr) {  // back in request order
    std::sort(out->explain->begin() + static_cast<std::ptrdiff_t>(explain_start), out->explain->end(),
              [](const SpanExplanation& a, const SpanExplanation& b) { return a.index < b.index; });
  }
}

void SpanMapper::MapOne(Context& ctx, std::size_t i) const {
  Item& item = ctx.items[i];
  const Span& s = *item.span;
  MappedBatch* out = ctx.out;
  ++out->items;
  const ItemRef ref{"span", s.name, s.trace_id.view()};
  SpanExplanation* ex = nullptr;
  if (out->explain != nullptr) {
    ex = &out->explain->emplace_back();
    ex->index = item.index;
    ex->name = s.name;
    ex->trace_id = s.trace_id.view();
    ex->span_id = s.span_id.view();
    ex->parent_span_id = s.parent_span_id.view();
    ex->scope = item.scope_name;
  }
  auto reject = [&](const Problem& p) {
    detail::Reject(out, ref, p);
    if (ex != nullptr) {
      ex->outcome = "rejected";
      ex->reason = RejectReasonName(p.reason);
      ex->detail = detail::RejectMessage(ref, p);
    }
  };
  if (s.error != ItemError::kNone) return reject(detail::ItemProblem(s.error));

  SpanFacts& facts = ctx.facts;
  classifier_.Index(s.attributes, &facts);
  const std::uint64_t self = SpanKey(s.span_id.view());
  const std::uint64_t parent = s.parent_span_id.present ? SpanKey(s.parent_span_id.view()) : 0;
  const SpanInfo mem_self = self != 0 ? memory_.GetLocked(self) : SpanInfo{};
  const std::uint8_t below = item.below | mem_self.below;
  const std::uint32_t below_agent = item.below_agent != 0 ? item.below_agent : mem_self.below_agent;

  // What the ancestors learn from this span: what was counted below it, and itself if counted.
  std::uint8_t up = below;
  std::uint32_t up_agent = below_agent;
  auto propagate = [&] {
    if (up == 0) return;
    if (item.parent >= 0) {
      Item& p = ctx.items[static_cast<std::size_t>(item.parent)];
      p.below |= up;
      if (p.below_agent == 0 || (up & kMarkRun) != 0) p.below_agent = up_agent;
    } else if (parent != 0) {
      out->span_updates.push_back({parent, 0, 0, up, up_agent});
    }
  };
  auto drop = [&](DropReason r, std::string detail_text) {
    detail::Drop(out, r);
    if (ex != nullptr) {
      ex->outcome = "dropped";
      ex->reason = DropReasonName(r);
      ex->detail = std::move(detail_text);
    }
    propagate();
  };

  const CompiledSpanRule* rule =
      classifier_.Classify(facts, s.name, *item.scope, !s.parent_span_id.present, below != 0);
  if (ex != nullptr && rule != nullptr) {
    ex->rule = rule->label;
    ex->rule_origin = rule->config.origin;
  }
  if (rule == nullptr) return drop(DropReason::kNotGenAi, "no span rule matches");
  if (rule->config.event == SpanEventKind::kIgnore) {
    return drop(DropReason::kIgnored, "the rule's event is ignore");
  }
  const SpanEventKind event = rule->config.event;
  const std::uint8_t mark = MarkOf(event);

  // The agent id: for each key, the span's attribute, then the resource's.
  std::string_view agent_id;
  for (int slot : rule->fields[static_cast<std::size_t>(SpanField::kAgentId)]) {
    const AnyValue* v = facts.slots[static_cast<std::size_t>(slot)];
    if (v == nullptr || v->kind != ValueKind::kString || v->str.empty()) {
      v = Find(*item.resource, classifier_.key(slot));
    }
    if (v != nullptr && v->kind == ValueKind::kString && !v->str.empty()) {
      agent_id = v->str;
      break;
    }
  }
  if (agent_id.empty()) agent_id = config_.default_agent_id;
  const std::uint32_t agent = event == SpanEventKind::kRun ? AgentHash(agent_id) : 0;
  auto same_agent = [&](std::uint32_t other) { return event != SpanEventKind::kRun || other == agent; };

  // One operation, one count (span_mapper.h).
  if ((mem_self.counted & mark) != 0) {
    up |= mark;
    return drop(DropReason::kDuplicate, "this span was counted before (sent again)");
  }
  if ((below & mark) != 0 && same_agent(below_agent)) {
    return drop(DropReason::kDuplicate,
                std::string(MarkName(mark)) + " below this span was counted (the innermost span wins)");
  }
  if (parent != 0 && item.parent < 0) {
    const SpanInfo p = memory_.GetLocked(parent);
    if ((p.counted & mark) != 0 && same_agent(p.counted_agent)) {
      up |= mark;
      return drop(DropReason::kDuplicate, "its parent span was counted as " + std::string(MarkName(mark)));
    }
  }

  const Attributes& a = s.attributes;
  const AnyValue* error_type = detail::Get(a, "error.type");
  if (error_type != nullptr && error_type->kind == ValueKind::kString && error_type->str.empty()) {
    error_type = nullptr;
  }
  std::string_view status = s.status_code == 2 || error_type != nullptr ? "failure" : "success";
  std::string_view model, tool_name, finish_reason;
  detail::Tokens tokens;
  auto fail = [&](const Problem& p) {
    reject(p);
    propagate();
  };
  auto field = [&](SpanField f, std::string_view* key, bool number = false) {
    return classifier_.Field(facts, *rule, f, key, number);
  };
  if (event == SpanEventKind::kLlmCall) {
    std::string_view key;
    if (Problem p = detail::ReadStringValue(field(SpanField::kModel, &key), key, &model)) {
      return fail(p);
    }
    model = detail::StripContextSuffix(model);
    // No model on the span: the nearest ancestor's in this request (see span_mapper.h).
    SpanFacts up_facts;
    for (int j = item.parent, steps = 0; model.empty() && j >= 0 && steps < kMaxAncestors;
         j = ctx.items[static_cast<std::size_t>(j)].parent, ++steps) {
      classifier_.Index(ctx.items[static_cast<std::size_t>(j)].span->attributes, &up_facts);
      const AnyValue* v = classifier_.Field(up_facts, *rule, SpanField::kModel);
      if (v != nullptr && v->kind == ValueKind::kString) model = detail::StripContextSuffix(v->str);
    }
    if (model.empty()) model = config_.default_model;
    const std::pair<SpanField, double*> counts[] = {
        {SpanField::kInputTokens, &tokens.input},
        {SpanField::kOutputTokens, &tokens.output},
        {SpanField::kCacheReadTokens, &tokens.cache_read},
        {SpanField::kCacheCreationTokens, &tokens.cache_creation}};
    for (const auto& [f, dst] : counts) {
      if (const AnyValue* v = field(f, &key, true)) {
        if (Problem p = detail::ReadNumber(*v, key, Amount::kCount, dst)) return fail(p);
      }
    }
    if (const AnyValue* v = field(SpanField::kCostUsd, &key, true)) {
      if (Problem p = detail::ReadNumber(*v, key, Amount::kValue, &tokens.cost)) {
        return fail(p);
      }
    }
    // The conventions count cached tokens inside the input tokens; ours are uncached input.
    if (rule->config.input_includes_cache && tokens.input >= 0) {
      tokens.input -= std::max(tokens.cache_read, 0.0) + std::max(tokens.cache_creation, 0.0);
      tokens.input = std::max(tokens.input, 0.0);
    }
    // Only a plain string is usable: the model keeps no array contents.
    const AnyValue* fr = field(SpanField::kFinishReason, nullptr);
    if (fr != nullptr && fr->kind == ValueKind::kString) finish_reason = fr->str;
  } else if (event == SpanEventKind::kToolCall) {
    std::string_view key;
    if (Problem p = detail::ReadStringValue(field(SpanField::kToolName, &key), key, &tool_name)) {
      return fail(p);
    }
    if (tool_name.empty()) {
      const auto& keys = rule->fields[static_cast<std::size_t>(SpanField::kToolName)];
      return fail(detail::Missing(keys.empty() ? "tool_name" : classifier_.key(keys.front())));
    }
    if (error_type != nullptr && error_type->kind == ValueKind::kString &&
        ContainsTimeout(error_type->str)) {
      status = "timeout";
    }
  }

  const std::size_t start = out->buffer.size();
  NativeLine line =
      detail::Begin(out, SpanEventKindName(event), agent_id,
                    s.end_time_ns != 0 ? s.end_time_ns : s.start_time_ns, s.trace_id, s.span_id);
  if (event == SpanEventKind::kLlmCall) {
    line.Str("model", model);
    tokens.Write(&line);
  } else if (event == SpanEventKind::kToolCall) {
    line.Str("tool_name", tool_name);
  }
  if (s.start_time_ns != 0 && s.end_time_ns != 0 && s.end_time_ns >= s.start_time_ns) {
    line.Num("duration_ms", static_cast<double>(s.end_time_ns - s.start_time_ns) / 1e6);
  }
  line.Str("status", status);
  if (!finish_reason.empty()) line.Str("finish_reason", finish_reason);
  if (tokens.cost >= 0) line.Num("cost_usd", tokens.cost);
  line.End();
  if (!detail::FinishLine(out, start, ref)) {
    if (ex != nullptr) {
      ex->outcome = "rejected";
      ex->reason = RejectReasonName(RejectReason::kInvalidUtf8);
      ex->detail = "a string is not valid UTF-8";
    }
    return propagate();
  }
  if (ex != nullptr) {
    ex->outcome = SpanEventKindName(event);
    ex->line.assign(out->buffer, start, out->buffer.size() - start - 1);
  }
  out->span_updates.push_back({self, parent, mark, 0, agent});
  up |= mark;
  if (event == SpanEventKind::kRun) up_agent = agent;
  propagate();
}

}  // namespace agx::otlp
