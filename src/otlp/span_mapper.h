#pragma once
// SpanMapper: turns the spans of an export request into native events (llm_call, tool_call,
// run), docs/otlp.md "Spans".
//
// - Each span is classified by the span rules (span_classifier.h), which also say which
//   attributes hold the model, tokens, tool name and agent id.
// - One operation is counted once: a span is a duplicate, and dropped, when a span of the
//   same kind was already counted below it (a wrapper instrumentation around an SDK that
//   has spans of its own; nested agent levels of one agent), above it (the rare case where
//   the outer span arrived first), or is the same span sent again. Spans end, and so are
//   exported, child first: within a request they are processed children first, and across
//   requests and restarts the SpanMemory remembers what was counted.
// - An LLM span that names no model takes the nearest ancestor's in the same request (the
//   source article's `gen_ai.chat` spans carry none; their `agent.run` root does), else
//   otlp.default_model.
// - Twin spans (rules with a twin_group): one call seen by two instrumentations whose spans
//   are not nested (the Anthropic SDK's own span and a wrapper's, in two traces for a
//   stream) is counted once: the first counted waits in the memory under a key of its
//   resource, model, tokens, status and end time, and the other scope's span takes it.
//
// Thread-safe: Map may run concurrently; a request's reads and reservations of the memory
// happen under its lock, so two requests never both count one operation.
#include <memory>

#include "config/config.h"
#include "otlp/map_util.h"
#include "otlp/mapper.h"
#include "otlp/span_classifier.h"
#include "otlp/span_memory.h"

namespace agx::otlp {

class SpanMapper {
 public:
  SpanMapper(const OtlpConfig& config, const MapLimits& limits);

  /// Maps every span of `request` into `out` (appending lines, counts, span_updates and,
  /// when out->explain is set, explanations); stops when the lines pass
  /// MapLimits::max_mapped_bytes (out->too_large).
  void Map(const ExportRequest& request, MappedBatch* out) const;

  SpanMemory& memory() const { return memory_; }
  const SpanClassifier& classifier() const { return classifier_; }

 private:
  struct Item;
  struct Context;
  struct LlmFields;
  void MapOne(Context& ctx, std::size_t i) const;
  detail::Problem ReadLlm(Context& ctx, const Item& item, const CompiledSpanRule& rule,
                          LlmFields* f) const;
  /// Records `u` in the batch and reserves it at once. Caller holds the memory's lock.
  void Reserve(Context& ctx, const SpanUpdate& u) const;

  const OtlpConfig& config_;
  const MapLimits limits_;
  SpanClassifier classifier_;
  mutable SpanMemory memory_;
};

}  // namespace agx::otlp
