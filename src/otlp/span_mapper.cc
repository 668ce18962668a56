#include "otlp/span_mapper.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "otlp/map_util.h"

namespace agx::otlp {

using detail::Amount;
using detail::ItemRef;
using detail::Problem;

namespace {

constexpr int kMaxAncestors = 64;  // parent links followed within a request

// The memory's marks are the config's kind bits (span_rule.h, counted_descendant_kinds).
static_assert(kMarkLlm == 1u << static_cast<int>(SpanEventKind::kLlmCall));
static_assert(kMarkTool == 1u << static_cast<int>(SpanEventKind::kToolCall));
static_assert(kMarkRun == 1u << static_cast<int>(SpanEventKind::kRun));

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

constexpr std::uint64_t kTwinWindowNs = 5'000'000'000;  // twin spans end this close together

// FNV-1a, 32 bits, never 0 (kept for "none"): agents of counted runs (nested levels of one
// agent are one run, a sub-agent's are its own), scopes and resources of twin spans.
std::uint32_t Fnv(std::string_view s, std::uint32_t h = 2166136261u) {
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h == 0 ? 1 : h;
}

std::uint32_t ResourceHash(const Attributes& resource) {
  std::uint32_t h = 2166136261u;
  for (const Attribute& a : resource) {
    h = Fnv(a.key, h);
    if (a.value.kind == ValueKind::kString) h = Fnv(a.value.str, h);
    if (a.value.kind == ValueKind::kInt) h = Fnv(std::to_string(a.value.i), h);
  }
  return h;
}

// A twin key: the call's identity as both instrumentations see it, in a time bucket.
std::uint64_t TwinKey(std::uint32_t base, std::uint64_t bucket) {
  std::uint64_t x = (static_cast<std::uint64_t>(base) << 32) ^ bucket;
  x ^= x >> 33;  // splitmix64 finalizer: spread the bucket over all bits
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x == 0 ? 1 : x;
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
  std::uint32_t resource_hash = 0;  // for twin keys: the same process's spans
  std::uint32_t scope_hash = 0;
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

SpanMapper::SpanMapper(const OtlpConfig& config, const MapLimits& limits)
    : config_(config),
      limits_(limits),
      classifier_(config.span_rules, config.agent_id_attributes),
      memory_(config.span_memory_entries) {}

void SpanMapper::Map(const ExportRequest& request, MappedBatch* out) const {
  Context ctx;
  ctx.out = out;
  std::size_t n = 0, scopes = 0;
  for (const auto& r : request.spans) {
    for (const auto& sc : r.scopes) {
      n += sc.items.size();
      scopes += sc.items.empty() ? 0 : 1;
    }
  }
  if (n == 0) return;
  ctx.items.reserve(n);
  ctx.scopes.reserve(scopes);
  for (const auto& r : request.spans) {
    const std::uint32_t resource_hash = ResourceHash(r.resource);
    for (const auto& sc : r.scopes) {
      if (sc.items.empty()) continue;  // no regex work and no entry for a scope without spans
      ctx.scopes.push_back(classifier_.MatchScope(sc.scope_name));
      const std::uint32_t scope_hash = Fnv(sc.scope_name);
      for (const Span& s : sc.items) {
        Item it;
        it.resource = &r.resource;
        it.resource_hash = resource_hash;
        it.scope_hash = scope_hash;
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
    auto lock = memory_.Lock();  // reads and reservations of one request are atomic
    for (std::size_t i : order) {
      if (detail::Full(limits_, out)) break;  // refused whole: OtlpIngest rolls back
      MapOne(ctx, i);
    }
  }
  if (out->explain != nullptr) {  // back in request order
    std::sort(out->explain->begin() + static_cast<std::ptrdiff_t>(explain_start), out->explain->end(),
              [](const SpanExplanation& a, const SpanExplanation& b) { return a.index < b.index; });
  }
}

// What an llm_call reads from its span (and, for the model, its ancestors in the request).
struct SpanMapper::LlmFields {
  std::string_view model, finish_reason;
  detail::Tokens tokens;
};

Problem SpanMapper::ReadLlm(Context& ctx, const Item& item, const CompiledSpanRule& rule,
                            LlmFields* f) const {
  const SpanFacts& facts = ctx.facts;
  std::string_view key;
  if (Problem p = detail::ReadStringValue(classifier_.Field(facts, rule, SpanField::kModel, &key),
                                          key, &f->model)) {
    return p;
  }
  f->model = detail::StripContextSuffix(f->model);
  // No model on the span: the nearest ancestor's in this request (see span_mapper.h).
  SpanFacts up_facts;
  for (int j = item.parent, steps = 0; f->model.empty() && j >= 0 && steps < kMaxAncestors;
       j = ctx.items[static_cast<std::size_t>(j)].parent, ++steps) {
    classifier_.Index(ctx.items[static_cast<std::size_t>(j)].span->attributes, &up_facts);
    const AnyValue* v = classifier_.Field(up_facts, rule, SpanField::kModel);
    if (v != nullptr && v->kind == ValueKind::kString) f->model = detail::StripContextSuffix(v->str);
  }
  if (f->model.empty()) f->model = config_.default_model;
  f->model = detail::CutLabel(f->model, limits_.label_value_max_bytes);
  detail::Tokens& t = f->tokens;
  const std::pair<SpanField, double*> counts[] = {{SpanField::kInputTokens, &t.input},
                                                  {SpanField::kOutputTokens, &t.output},
                                                  {SpanField::kCacheReadTokens, &t.cache_read},
                                                  {SpanField::kCacheCreationTokens, &t.cache_creation}};
  for (const auto& [field, dst] : counts) {
    if (const AnyValue* v = classifier_.Field(facts, rule, field, &key, true)) {
      if (Problem p = detail::ReadNumber(*v, key, Amount::kCount, dst)) return p;
    }
  }
  if (const AnyValue* v = classifier_.Field(facts, rule, SpanField::kCostUsd, &key, true)) {
    if (Problem p = detail::ReadNumber(*v, key, Amount::kValue, &t.cost)) return p;
  }
  // The conventions count cached tokens inside the input tokens; ours are uncached input.
  if (rule.config.input_includes_cache && t.input >= 0) {
    t.input = std::max(t.input - std::max(t.cache_read, 0.0) - std::max(t.cache_creation, 0.0), 0.0);
  }
  // Only a plain string is usable: the model keeps no array contents.
  const AnyValue* fr = classifier_.Field(facts, rule, SpanField::kFinishReason);
  if (fr != nullptr && fr->kind == ValueKind::kString) {
    // Not a label, but copied into the line like one.
    f->finish_reason = detail::CutLabel(fr->str, limits_.label_value_max_bytes);
  }
  return {};
}

void SpanMapper::Reserve(Context& ctx, const SpanUpdate& u) const {
  ctx.out->span_updates.push_back(u);
  memory_.ReserveLocked(std::span(&u, 1));  // visible to the rest of this request at once
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
      Reserve(ctx, {parent, 0, 0, up, up_agent});
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
  auto fail = [&](const Problem& p) {
    reject(p);
    propagate();
  };

  const CompiledSpanRule* rule =
      classifier_.Classify(facts, s.name, *item.scope, !s.parent_span_id.present, below);
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
  // Cut before it is hashed and copied: a long name is otherwise worked over for every span.
  agent_id = detail::CutLabel(agent_id, limits_.label_value_max_bytes);
  const std::uint32_t agent = event == SpanEventKind::kRun ? Fnv(agent_id) : 0;
  auto same_agent = [&](std::uint32_t other) { return event != SpanEventKind::kRun || other == agent; };

  const AnyValue* error_type = detail::Get(s.attributes, "error.type");
  if (error_type != nullptr && error_type->kind == ValueKind::kString && error_type->str.empty()) {
    error_type = nullptr;
  }
  std::string_view status = s.status_code == 2 || error_type != nullptr ? "failure" : "success";
  LlmFields llm;
  std::string_view tool_name;
  Problem problem;
  if (event == SpanEventKind::kLlmCall) {
    problem = ReadLlm(ctx, item, *rule, &llm);
  } else if (event == SpanEventKind::kToolCall) {
    std::string_view key;
    problem = detail::ReadStringValue(classifier_.Field(facts, *rule, SpanField::kToolName, &key),
                                      key, &tool_name);
    tool_name = detail::CutLabel(tool_name, limits_.label_value_max_bytes);
    if (!problem && tool_name.empty()) {
      const auto& keys = rule->fields[static_cast<std::size_t>(SpanField::kToolName)];
      problem = detail::Missing(keys.empty() ? "tool_name" : classifier_.key(keys.front()));
    }
    if (error_type != nullptr && error_type->kind == ValueKind::kString &&
        ContainsTimeout(error_type->str)) {
      status = "timeout";
    }
  }

  // Twins (span_rule.h): the same call from another instrumentation scope, not nested.
  const bool twin = !problem && !rule->config.twin_group.empty();
  std::uint32_t twin_base = 0;
  std::uint64_t bucket = 0;
  if (twin) {
    char buf[128];
    const detail::Tokens& t = llm.tokens;
    const int n = std::snprintf(buf, sizeof buf, "|%.0f|%.0f|%.0f|%.0f|", t.input, t.output,
                                t.cache_read, t.cache_creation);
    twin_base = Fnv(std::string_view(buf, static_cast<std::size_t>(std::max(n, 0))),
                    Fnv(status, Fnv(llm.model, Fnv(rule->config.twin_group, item.resource_hash))));
    bucket = (s.end_time_ns != 0 ? s.end_time_ns : s.start_time_ns) / kTwinWindowNs;
  }
  // Takes the waiting twin of another scope, if any: this span is then the call's second.
  auto take_twin = [&]() -> bool {
    if (!twin) return false;
    for (std::uint64_t b : {bucket, bucket - 1, bucket + 1}) {
      const std::uint64_t key = TwinKey(twin_base, b);
      if (const std::uint32_t other = memory_.FindTwinLocked(key, item.scope_hash)) {
        Reserve(ctx, {key, 0, 0, 0, other, kTwinTake});
        return true;
      }
    }
    return false;
  };

  // One operation, one count (span_mapper.h). A duplicate is remembered as its operation's,
  // so that it is known again when it is sent again; one nested around a counted twin takes
  // that twin, which no other span will.
  if ((mem_self.counted & mark) != 0) {
    up |= mark;
    return drop(DropReason::kDuplicate, "this span was counted before (sent again)");
  }
  auto duplicate = [&](std::string why, bool takes_twin) {
    if (takes_twin) take_twin();
    Reserve(ctx, {self, parent, mark, 0, agent});
    up |= mark;
    drop(DropReason::kDuplicate, std::move(why));
  };
  if ((below & mark) != 0 && same_agent(below_agent)) {
    return duplicate(std::string(MarkName(mark)) +
                         " below this span was counted (the innermost span wins)",
                     true);
  }
  if (parent != 0 && item.parent < 0) {
    const SpanInfo p = memory_.GetLocked(parent);
    if ((p.counted & mark) != 0 && same_agent(p.counted_agent)) {
      return duplicate("its parent span was counted as " + std::string(MarkName(mark)), true);
    }
  }
  if (problem) return fail(problem);
  if (take_twin()) {
    return duplicate("the same call was counted from another instrumentation's span (twin group " +
                         rule->config.twin_group + ")",
                     false);
  }

  const std::size_t start = out->buffer.size();
  NativeLine line =
      detail::Begin(out, SpanEventKindName(event), agent_id,
                    s.end_time_ns != 0 ? s.end_time_ns : s.start_time_ns, s.trace_id, s.span_id);
  if (event == SpanEventKind::kLlmCall) {
    line.Str("model", llm.model);
    llm.tokens.Write(&line);
  } else if (event == SpanEventKind::kToolCall) {
    line.Str("tool_name", tool_name);
  }
  if (s.start_time_ns != 0 && s.end_time_ns != 0 && s.end_time_ns >= s.start_time_ns) {
    line.Num("duration_ms", static_cast<double>(s.end_time_ns - s.start_time_ns) / 1e6);
  }
  line.Str("status", status);
  if (!llm.finish_reason.empty()) line.Str("finish_reason", llm.finish_reason);
  if (llm.tokens.cost >= 0) line.Num("cost_usd", llm.tokens.cost);
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
  Reserve(ctx, {self, parent, mark, 0, agent});
  if (twin) Reserve(ctx, {TwinKey(twin_base, bucket), 0, 0, 0, item.scope_hash, kTwinAdd});
  up |= mark;
  if (event == SpanEventKind::kRun) up_agent = agent;
  propagate();
}

}  // namespace agx::otlp
