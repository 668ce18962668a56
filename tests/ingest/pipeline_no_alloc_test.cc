// The tail path allocates nothing per event once warm: parsing, mapping (with exemplars),
// rejections and the position bookkeeping of Pipeline::OnLines. Counted with a replaced
// global operator new (not under AddressSanitizer, which owns operator new itself).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/pipeline.h"
#include "registry/registry.h"
#include "registry/sliding_window.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AGX_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define AGX_ASAN 1
#endif

#ifndef AGX_ASAN
namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// GCC 12 warns about free() on memory from `operator new` once these are inlined, although
// both sides are replaced here together.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
#endif

namespace agx {
namespace {

// A realistic event stream, in the manner of bench/gen_events.py (same agents, tools, models,
// event mix and fields; every event has trace_id, span_id and ts), seeded and deterministic.
// Invalid lines of every kind the generator writes with --bad-every, and blank lines, are
// mixed in so that the rejection path is warm too.
class EventStream {
 public:
  explicit EventStream(std::uint64_t seed) : rng_(seed) {}

  std::vector<std::string> Generate(std::size_t events, std::size_t bad_every) {
    events_ = events;
    bad_every_ = bad_every;
    while (written_ < events_) Trace();
    return std::move(lines_);
  }

 private:
  struct Agent {
    const char* name;
    std::vector<const char*> tools;
  };

  double Uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }
  int Int(int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng_); }
  bool Chance(double p) { return Uniform(0, 1) < p; }
  template <class T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }
  std::string Hex(int digits) {
    std::string s;
    for (int i = 0; i < digits; ++i) s += "0123456789abcdef"[Int(0, 15)];
    s.back() = '1';  // never all zero
    return s;
  }
  static std::string Num(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
  }

  void Emit(const std::string& type, const std::string& fields) {
    if (written_ >= events_) return;
    ts_ += Uniform(0.001, 0.2);
    lines_.push_back(R"({"type":")" + type + R"(","agent_id":")" + agent_ + R"(","trace_id":")" +
                     trace_ + R"(","conversation_id":")" + conv_ + R"(","span_id":")" + Hex(16) +
                     "\"" + fields + R"(,"ts":)" + Num(ts_, 3) + "}");
    ++written_;
    if (bad_every_ != 0 && written_ % bad_every_ == 0) {
      static const std::vector<std::string> kBad = {
          R"({"type":"tool_call","agent_id":"support-bot","status":"success"})",
          R"({"type":"teleport","agent_id":"x"})",
          R"({"type":"llm_call","agent_id":"x","model":"m","input_tokens":-5})",
          "not json at all",
          R"({"type":"run","agent_id":"x","status":"success","duration_ms":"fast"})",
          "{\"type\":\"run\",\"agent_id\":\"\xff\"}",
          "",
          "  \r",
      };
      lines_.push_back(kBad[(written_ / bad_every_) % kBad.size()]);
    }
  }

  std::string Model() {
    const double r = Uniform(0, 1);
    if (r < 0.45) return "claude-sonnet-4-5";
    if (r < 0.70) return "claude-haiku-4-5";
    if (r < 0.90) return "gpt-4o-mini";
    return "local-llama-3";  // no shipped price: unpriced unless the event has cost_usd
  }

  void Trace() {
    static const std::vector<Agent> kAgents = {
        {"support-bot", {"search_kb", "lookup_order", "issue_refund", "unable_to_process", "send_email"}},
        {"sre-agent", {"query_prometheus", "query_loki", "kubectl_get", "restart_pod", "page_oncall"}},
        {"research-agent", {"web_search", "fetch_url", "summarize", "write_file"}},
    };
    static const std::vector<const char*> kTaskTypes = {"refund", "triage", "research", "how_to"};
    static const std::vector<const char*> kHallucinations = {"fabricated_fact", "wrong_tool_args",
                                                             "invented_citation"};
    static const std::vector<const char*> kStrategies = {"retry", "fallback_model", "replan"};
    static const std::vector<const char*> kFinish = {"stop", "tool_use", "length"};
    static const std::vector<const char*> kEvaluators = {"llm_judge", "groundedness"};
    static const std::vector<const char*> kApprovals = {"approved", "approved", "denied", "timeout",
                                                        "overridden"};

    const Agent& agent = Pick(kAgents);
    agent_ = agent.name;
    trace_ = Hex(32);
    conv_ = "conv-" + std::to_string(Int(0, 999999));
    const bool failed = Chance(0.04);
    const int n_llm = Int(3, 8);
    const int n_tool = Int(1, 6);
    int steps = 0;
    double run_ms = 0;
    for (int i = 0; i < std::max(n_llm, n_tool); ++i) {
      ++steps;
      if (i < n_llm) {
        const std::string model = Model();
        const double dur = std::lognormal_distribution<double>(0.2, 0.6)(rng_) * 1000;
        run_ms += dur;
        std::string f = R"(,"model":")" + model + R"(","input_tokens":)" +
                        std::to_string(Int(200, 6000)) + R"(,"output_tokens":)" +
                        std::to_string(Int(20, 1200)) + R"(,"cache_read_tokens":)" +
                        std::to_string(Chance(0.33) ? Int(100, 4000) : 0) +
                        R"(,"cache_creation_tokens":)" +
                        std::to_string(Chance(0.25) ? Int(100, 2000) : 0) + R"(,"duration_ms":)" +
                        Num(dur, 1) + R"(,"finish_reason":")" + Pick(kFinish) + R"(","step":)" +
                        std::to_string(steps) + R"(,"status":")" +
                        (Chance(0.02) ? "failure" : "success") + "\"";
        if (model == "local-llama-3" && Chance(0.5)) {
          f += R"(,"cost_usd":)" + Num(Uniform(0.0001, 0.002), 6);
        }
        Emit("llm_call", f);
      }
      if (i < n_tool) {
        const double dur = std::lognormal_distribution<double>(-1.0, 0.9)(rng_) * 1000;
        run_ms += dur;
        const double r = Uniform(0, 1);
        const std::string status = r < 0.03 ? "failure" : (r < 0.04 ? "timeout" : "success");
        Emit("tool_call", R"(,"tool_name":")" + std::string(Pick(agent.tools)) +
                              R"(","status":")" + status + R"(","duration_ms":)" + Num(dur, 1));
        if (status != "success") {
          Emit("step", R"(,"outcome":"tool_call_failed")");
          Emit("recovery", R"(,"strategy":")" + std::string(Pick(kStrategies)) + "\"");
          continue;
        }
      }
      if (Chance(0.02)) {
        Emit("hallucination",
             R"(,"hallucination_type":")" + std::string(Pick(kHallucinations)) + "\"");
        Emit("step", R"(,"outcome":"hallucination")");
      } else if (Chance(0.03)) {
        Emit("approval", R"(,"result":")" + std::string(Pick(kApprovals)) + "\"");
      } else {
        Emit("step", R"(,"outcome":"completed")");
      }
    }
    const std::string task_type = Pick(kTaskTypes);
    Emit("run", std::string(R"(,"status":")") + (failed ? "failure" : "success") +
                    R"(","duration_ms":)" + Num(run_ms, 1) + R"(,"steps":)" +
                    std::to_string(steps) + R"(,"tool_calls":)" + std::to_string(n_tool) +
                    R"(,"task_type":")" + task_type + "\"");
    const int o = Int(0, 9);
    const std::string outcome = failed ? "failed" : o < 8 ? "completed" : o == 8 ? "abandoned"
                                                                                 : "escalated";
    std::string task = R"(,"task_type":")" + task_type + R"(","outcome":")" + outcome + "\"";
    if (Chance(0.5)) task += R"(,"cost_usd":)" + Num(Uniform(0.01, 0.4), 4);
    Emit("task", task);
    if (Chance(0.3)) {
      Emit("feedback", R"(,"task_type":")" + task_type + R"(","score":)" + Num(Uniform(0, 1), 2));
    }
    if (Chance(0.3)) {
      Emit("eval", R"(,"evaluator":")" + std::string(Pick(kEvaluators)) + R"(","score":)" +
                       Num(Uniform(0.4, 1.0), 2));
    }
    if (Chance(0.1)) {  // aggregated usage, as mapped from OTLP usage metrics
      Emit("usage", R"(,"model":"claude-sonnet-4-5","output_tokens":)" +
                        std::to_string(static_cast<int>(Uniform(1, 500))) + R"(,"cost_usd":)" +
                        Num(Uniform(0, 0.01), 5));
    }
  }

  std::mt19937_64 rng_;
  std::size_t events_ = 0;
  std::size_t bad_every_ = 0;
  std::size_t written_ = 0;
  double ts_ = 1763700000.0;
  std::string agent_, trace_, conv_;
  std::vector<std::string> lines_;
};

constexpr std::size_t kEvents = 500;
constexpr std::size_t kBadEvery = 50;

struct Harness {
  Harness() : windows(registry, config.registry.window), pipeline(registry, windows, config, nullptr) {}
  Config config = Config::Defaults();
  Registry registry;
  TaskWindows windows;
  Pipeline pipeline;
};

double Value(const Snapshot& s, std::string_view family, const std::vector<std::string>& labels) {
  if (const FamilySnapshot* f = s.Find(family)) {
    for (const SeriesSnapshot& series : f->series) {
      if (series.label_values == labels) return series.value;
    }
  }
  return -1;
}

// The generated batch is what the no-allocation test measures: check that it is realistic
// (every event type, exemplars, priced, unpriced and reported costs, rejections) and that
// the pipeline applies it in full.
TEST(PipelineNoAllocTest, GeneratedBatchCoversEveryEventTypeAndApplies) {
  const std::vector<std::string> owned = EventStream(3).Generate(kEvents, kBadEvery);
  const std::vector<std::string_view> lines(owned.begin(), owned.end());
  Harness h;
  const BatchResult r = h.pipeline.Apply(Source::kFile, lines, true);
  EXPECT_EQ(r.accepted, kEvents);
  EXPECT_EQ(r.rejected, kEvents / kBadEvery - 2);  // blank lines are not rejected
  for (const LineError& e : r.errors) {
    SCOPED_TRACE(owned[e.line - 1]);
    EXPECT_NE(e.reason, RejectReason::kNone);
  }
  const Snapshot s = h.registry.Collect();
  for (std::size_t t = 0; t < kEventTypeCount; ++t) {
    const std::string type(EventTypeName(static_cast<EventType>(t)));
    SCOPED_TRACE(type);
    EXPECT_GT(Value(s, "agent_exporter_events_total", {"file", type}), 0);
  }
  EXPECT_GT(Value(s, "agent_exporter_unpriced_tokens_total", {"local-llama-3"}), 0);
  std::size_t exemplars = 0;
  const FamilySnapshot* requests = s.Find("agent_requests_total");
  ASSERT_NE(requests, nullptr);
  for (const SeriesSnapshot& series : requests->series) {
    if (series.exemplar && series.exemplar->trace_id.size() == 32) ++exemplars;
  }
  EXPECT_GT(exemplars, 0u);
  EXPECT_GT(Value(s, "agent_cost_usd_total", {"support-bot", "claude-sonnet-4-5"}), 0);
}

#ifndef AGX_ASAN
// Warm twice (series, parser buffers, window keys), then 100 more batches through the tail
// path with the same file identity: not one allocation.
TEST(PipelineNoAllocTest, WarmTailPathDoesNotAllocate) {
  const std::vector<std::string> owned = EventStream(3).Generate(kEvents, kBadEvery);
  const std::vector<std::string_view> lines(owned.begin(), owned.end());
  std::uint64_t batch_bytes = 0;
  for (std::string_view l : lines) batch_bytes += l.size() + 1;
  Harness h;
  FilePosition pos{"/var/log/agents/events.jsonl", 2049, 1234567, 0};
  auto apply = [&] {
    pos.offset += batch_bytes;
    h.pipeline.OnLines(pos, lines, 1);
  };
  const long start = g_allocations.load();
  apply();
  apply();
  const long warm = g_allocations.load();
  EXPECT_GT(warm - start, 0) << "the counter sees the series being created";
  for (int i = 0; i < 100; ++i) apply();
  const long during = g_allocations.load() - warm;
  EXPECT_EQ(during, 0) << "allocations in 100 warm batches of " << lines.size() << " lines";

  const Snapshot s = h.registry.Collect();
  double applied = 0;
  for (std::size_t t = 0; t < kEventTypeCount; ++t) {
    applied += Value(s, "agent_exporter_events_total",
                     {"file", std::string(EventTypeName(static_cast<EventType>(t)))});
  }
  EXPECT_EQ(applied, 102.0 * kEvents);
  EXPECT_EQ(Value(s, "agent_exporter_events_rejected_total", {"file", "line_too_long"}), 102);
  ASSERT_EQ(h.pipeline.Positions().size(), 1u);
  EXPECT_EQ(h.pipeline.Positions()[0], pos);
}
#endif  // AGX_ASAN

}  // namespace
}  // namespace agx
