// Fuzz target: agx::EventParser::Parse on the input as one native event line
// (docs/events.md). Beyond "no crash, no sanitizer report", an accepted event must keep the
// documented invariants, a second parse of the same line must agree with the first (the
// parser reuses its buffers between calls), and the flat fast path must agree exactly with
// a parser that sends every line to simdjson (src/ingest/flat_json.h).
#include <cmath>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "ingest/agent_event.h"
#include "ingest/event_parser.h"
#include "ingest/reject_reason.h"

namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

/// Numbers are absent (-1) or finite and >= 0.
bool NumberOk(double v) { return v == -1 || (std::isfinite(v) && v >= 0); }

void CheckEvent(const agx::AgentEvent& e) {
  AGX_FUZZ_CHECK(static_cast<std::size_t>(e.type) < agx::kEventTypeCount, "event type in range");
  AGX_FUZZ_CHECK(!e.agent_id.empty(), "agent_id is required");
  AGX_FUZZ_CHECK(e.trace_id.empty() || (e.trace_id.size() == 32 && IsLowerHex(e.trace_id)),
                 "trace_id is 32 lowercase hex digits");
  AGX_FUZZ_CHECK(e.span_id.empty() || (e.span_id.size() == 16 && IsLowerHex(e.span_id)),
                 "span_id is 16 lowercase hex digits");
  AGX_FUZZ_CHECK(std::isfinite(e.ts) && e.ts >= 0, "ts is finite and not before 1970");
  for (double v : {e.duration_ms, e.steps, e.tool_calls, e.input_tokens, e.output_tokens,
                   e.cache_read_tokens, e.cache_creation_tokens, e.cost_usd, e.step}) {
    AGX_FUZZ_CHECK(NumberOk(v), "numbers are absent or finite and non-negative");
  }
  AGX_FUZZ_CHECK(e.score == -1 || (e.score >= 0 && e.score <= 1), "score is within 0..1");
}

/// Every field, numbers bit-exact.
std::string Fields(const agx::AgentEvent& e) {
  std::string out(agx::EventTypeName(e.type));
  for (std::string_view v : {e.agent_id, e.trace_id, e.span_id, e.conversation_id, e.status,
                             e.model, e.tool_name, e.outcome, e.hallucination_type, e.strategy,
                             e.result, e.task_type, e.finish_reason, e.evaluator}) {
    out.append("|").append(v);
  }
  for (double v : {e.ts, e.duration_ms, e.steps, e.tool_calls, e.input_tokens, e.output_tokens,
                   e.cache_read_tokens, e.cache_creation_tokens, e.cost_usd, e.score, e.step}) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "|%a", v);
    out.append(buf);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One parser for the whole run, as the pipeline keeps one per thread: the fuzzer then
  // also exercises buffer reuse across lines of different lengths.
  static agx::EventParser parser(std::size_t{1} << 20);
  const std::string_view line(reinterpret_cast<const char*>(data), size);

  agx::AgentEvent event;
  const agx::ParseError first = parser.Parse(line, &event);
  AGX_FUZZ_CHECK(static_cast<std::size_t>(first.reason) < agx::kRejectReasonCount,
                 "reason in range");
  if (first.reason == agx::RejectReason::kNone) {
    CheckEvent(event);
  } else {
    AGX_FUZZ_CHECK(!first.detail.empty(), "a rejection has a message");
  }
  const std::string first_detail(first.detail);  // the view dies with the next Parse
  const std::string first_fields = Fields(event);  // views die with the next Parse too

  agx::AgentEvent again;
  const agx::ParseError second = parser.Parse(line, &again);
  AGX_FUZZ_CHECK(second.reason == first.reason, "parsing is deterministic");
  AGX_FUZZ_CHECK(second.detail == first_detail, "same message for the same line");

  static agx::EventParser simdjson_only(std::size_t{1} << 20, /*fast_path=*/false);
  agx::AgentEvent reference;
  const agx::ParseError ref = simdjson_only.Parse(line, &reference);
  AGX_FUZZ_CHECK(ref.reason == first.reason, "fast path and simdjson agree on the verdict");
  AGX_FUZZ_CHECK(ref.detail == first_detail, "fast path and simdjson agree on the message");
  AGX_FUZZ_CHECK(Fields(reference) == first_fields, "fast path and simdjson agree on the values");
  return 0;
}
