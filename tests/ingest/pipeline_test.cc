#include "ingest/pipeline.h"

#include <signal.h>
#include <sys/resource.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "registry/registry.h"
#include "registry/sliding_window.h"
#include "state/temp_dir.h"
#include "state/wal.h"
#include "state/wal_batch.h"

namespace agx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Labels = std::vector<std::string>;

const SeriesSnapshot* FindSeries(const Snapshot& s, std::string_view family, const Labels& labels) {
  const FamilySnapshot* f = s.Find(family);
  if (f == nullptr) return nullptr;
  for (const SeriesSnapshot& series : f->series) {
    if (series.label_values == labels) return &series;
  }
  return nullptr;
}

/// The value of a counter series, or nullopt when the series does not exist.
std::optional<double> Value(const Snapshot& s, std::string_view family, const Labels& labels) {
  const SeriesSnapshot* series = FindSeries(s, family, labels);
  if (series == nullptr) return std::nullopt;
  return series->value;
}

double Sum(const Snapshot& s, std::string_view family) {
  const FamilySnapshot* f = s.Find(family);
  double sum = 0;
  if (f != nullptr) {
    for (const SeriesSnapshot& series : f->series) sum += series.value;
  }
  return sum;
}

std::size_t SeriesCount(const Snapshot& s, std::string_view family) {
  const FamilySnapshot* f = s.Find(family);
  return f == nullptr ? 0 : f->series.size();
}

/// Every counter value and histogram count/sum/bucket, keyed "family{labels}": what
/// exactly-once must reproduce (exemplars and gauges excluded).
std::map<std::string, double> Totals(const Snapshot& s) {
  std::map<std::string, double> out;
  for (const FamilySnapshot& f : s.families) {
    for (const SeriesSnapshot& series : f.series) {
      std::string key = f.name + "{";
      for (const std::string& v : series.label_values) key += v + ",";
      key += "}";
      if (f.type == MetricType::kCounter) {
        out[key] = series.value;
      } else if (f.type == MetricType::kHistogram) {
        out[key + "sum"] = series.sum;
        for (std::size_t b = 0; b < series.bucket_counts.size(); ++b) {
          out[key + "bucket" + std::to_string(b)] = static_cast<double>(series.bucket_counts[b]);
        }
      }
    }
  }
  return out;
}

std::string RunLine(std::string_view agent, std::string_view extra = "") {
  return R"({"type":"run","agent_id":")" + std::string(agent) +
         R"(","status":"success","duration_ms":1250,"ts":1763700000.5)" + std::string(extra) + "}";
}

/// A valid run event of exactly `n` bytes (n >= 60).
std::string RunOfSize(std::size_t n) {
  const std::string head = R"({"type":"run","agent_id":"a","status":"success","pad":")";
  return head + std::string(n - head.size() - 2, 'x') + "\"}";
}

std::vector<std::string_view> Views(const std::vector<std::string>& lines) {
  return {lines.begin(), lines.end()};
}

constexpr char kRequests[] = "agent_requests_total";
constexpr char kEvents[] = "agent_exporter_events_total";
constexpr char kRejected[] = "agent_exporter_events_rejected_total";

/// A registry, windows and pipeline built from `config` (the shipped defaults unless
/// changed), optionally with a WAL.
struct Harness {
  explicit Harness(Config c = Config::Defaults(), Wal* wal = nullptr)
      : config(std::move(c)),
        windows(registry, config.registry.window),
        pipeline(registry, windows, config, wal) {}

  Snapshot Collect() const { return registry.Collect(); }

  Config config;
  Registry registry;
  TaskWindows windows;
  Pipeline pipeline;
};

std::unique_ptr<Wal> MustOpenWal(const std::string& dir) {
  auto wal = Wal::Open(dir);
  if (!wal.ok()) ADD_FAILURE() << wal.error();
  return wal.ok() ? std::move(*wal) : nullptr;
}

/// seq -> payload of every record in `wal`.
std::map<std::uint64_t, std::string> Records(Wal& wal) {
  std::map<std::uint64_t, std::string> out;
  auto st = wal.Replay(0, [&](std::uint64_t seq, std::string_view p) { out[seq] = p; });
  EXPECT_TRUE(st.ok()) << st.error();
  return out;
}

/// A WAL record's batch, decoded (state/wal_batch.h), as one comparable string:
/// "<source>|<annex>|<event>|<event>…".
std::string Batch(std::string_view payload) {
  state_detail::WalBatch b;
  auto st = state_detail::DecodeWalBatch(payload, &b);
  EXPECT_TRUE(st.ok()) << st.error();
  std::string out = b.source == state_detail::BatchSource::kOtlp ? "otlp|" : "push|";
  out.append(b.annex);
  for (auto e : b.events) out.append("|").append(e);
  return out;
}

std::size_t CountOf(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string_view::npos;
       pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

// ---------------------------------------------------------------------------------------
// Lines: blank, too long, oversized, rejection counters.

TEST(PipelineTest, BlankLinesAreNeitherAppliedNorRejected) {
  Harness h;
  const std::vector<std::string> lines = {"", " ", "\t", "\r", " \t\r \t", RunLine("a"), ""};
  const FilePosition pos{"/logs/a.jsonl", 1, 2, 100};
  h.pipeline.OnLines(pos, Views(lines), 0);
  Snapshot s = h.Collect();
  EXPECT_EQ(Value(s, kEvents, {"file", "run"}), 1);
  EXPECT_EQ(Sum(s, kRejected), 0);

  const BatchResult r = h.pipeline.Apply(Source::kPush, Views(lines), true);
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.rejected, 0u);
  EXPECT_TRUE(r.errors.empty());
  s = h.Collect();
  EXPECT_EQ(Value(s, kEvents, {"push", "run"}), 1);
  EXPECT_EQ(Sum(s, kRejected), 0);
  EXPECT_EQ(Sum(s, kRequests), 2);
}

TEST(PipelineTest, EveryRejectionSeriesIsExportedAtZeroFromTheStart) {
  Harness h;
  const Snapshot s = h.Collect();
  for (const char* source : {"file", "push"}) {
    for (std::size_t r = 1; r < kRejectReasonCount; ++r) {
      const std::string reason(RejectReasonName(static_cast<RejectReason>(r)));
      SCOPED_TRACE(std::string(source) + "/" + reason);
      EXPECT_EQ(Value(s, kRejected, {source, reason}), 0);
    }
    for (std::size_t t = 0; t < kEventTypeCount; ++t) {
      EXPECT_EQ(Value(s, kEvents, {source, std::string(EventTypeName(static_cast<EventType>(t)))}),
                0);
    }
  }
}

TEST(PipelineTest, LinesOverMaxLineBytesAreRejectedAsLineTooLong) {
  Config config = Config::Defaults();
  config.ingest.max_line_bytes = 120;
  Harness h(config);
  const std::string at_limit = RunOfSize(config.ingest.max_line_bytes);
  const std::string over = RunOfSize(config.ingest.max_line_bytes + 1);
  const std::vector<std::string> lines = {at_limit, over, over};
  const BatchResult r = h.pipeline.Apply(Source::kFile, Views(lines), true);
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.rejected, 2u);
  EXPECT_EQ(r.rejected_by_reason[static_cast<std::size_t>(RejectReason::kLineTooLong)], 2u);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].line, 2u);
  EXPECT_EQ(r.errors[0].reason, RejectReason::kLineTooLong);
  EXPECT_THAT(r.errors[0].message, HasSubstr("max_line_bytes"));
  EXPECT_EQ(r.errors[1].line, 3u);

  h.pipeline.OnLines({"/logs/a.jsonl", 1, 2, 10}, Views(lines), 0);
  Snapshot s = h.Collect();
  EXPECT_EQ(Value(s, kRejected, {"file", "line_too_long"}), 4);
  EXPECT_EQ(Value(s, kEvents, {"file", "run"}), 2);

  // Push checks the same limit, counted under source="push".
  auto pushed = h.pipeline.Push(Views(lines));
  ASSERT_TRUE(pushed.ok()) << pushed.error();
  EXPECT_EQ(pushed->accepted, 1u);
  EXPECT_EQ(pushed->rejected, 2u);
  s = h.Collect();
  EXPECT_EQ(Value(s, kRejected, {"push", "line_too_long"}), 2);
  EXPECT_EQ(Value(s, kRejected, {"file", "line_too_long"}), 4);
}

TEST(PipelineTest, IngestMaxJsonDepthBoundsNestingForEverySource) {
  Config config = Config::Defaults();
  config.ingest.max_json_depth = 2;
  Harness h(config);
  const std::vector<std::string> lines = {
      R"({"type":"run","agent_id":"a","status":"success","x":{"y":1}})",      // 2 levels
      R"({"type":"run","agent_id":"a","status":"success","x":{"y":[1]}})",    // 3 levels
  };
  const BatchResult r = h.pipeline.Apply(Source::kFile, Views(lines), true);
  EXPECT_EQ(r.accepted, 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].reason, RejectReason::kInvalidJson);
  EXPECT_EQ(r.errors[0].message, "malformed JSON: nested deeper than 2 levels");
  auto pushed = h.pipeline.Push(Views(lines));
  ASSERT_TRUE(pushed.ok()) << pushed.error();
  EXPECT_EQ(pushed->accepted, 1u);
  const Snapshot s = h.Collect();
  EXPECT_EQ(Value(s, kRejected, {"file", "invalid_json"}), 1);
  EXPECT_EQ(Value(s, kRejected, {"push", "invalid_json"}), 1);
}

TEST(PipelineTest, OversizedLinesFromTheTailerAreCountedAsLineTooLong) {
  Harness h;
  const std::vector<std::string> lines = {RunLine("a")};
  FilePosition pos{"/logs/a.jsonl", 1, 2, 100};
  h.pipeline.OnLines(pos, Views(lines), 3);
  EXPECT_EQ(Value(h.Collect(), kRejected, {"file", "line_too_long"}), 3);
  pos.offset = 5000;
  h.pipeline.OnLines(pos, {}, 2);  // only skipped lines in this read
  pos.offset = 6000;
  h.pipeline.OnLines(pos, Views(lines), 0);
  const Snapshot s = h.Collect();
  EXPECT_EQ(Value(s, kRejected, {"file", "line_too_long"}), 5);
  EXPECT_EQ(Value(s, kRejected, {"push", "line_too_long"}), 0);
  EXPECT_EQ(Value(s, kEvents, {"file", "run"}), 2);
  EXPECT_THAT(h.pipeline.Positions(), ElementsAre(pos));
}

TEST(PipelineTest, RejectedLinesAreCountedBySourceAndReasonAndNothingOfThemIsApplied) {
  Harness h;
  const std::vector<std::string> lines = {
      "not json",
      "{\"type\":\"run\",\"agent_id\":\"\xff\",\"status\":\"success\"}",
      R"({"type":"teleport","agent_id":"a"})",
      R"({"type":"tool_call","agent_id":"a","status":"success"})",
      R"({"type":"run","agent_id":"a","status":"success","duration_ms":"fast"})",
      R"({"type":"run","agent_id":"a","status":"maybe"})",
      RunLine("a"),
  };
  h.pipeline.OnLines({"/logs/a.jsonl", 1, 2, 10}, Views(lines), 0);
  const BatchResult r = h.pipeline.Apply(Source::kPush, Views(lines), true);
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.rejected, 6u);
  ASSERT_EQ(r.errors.size(), 6u);
  for (std::size_t i = 0; i < r.errors.size(); ++i) EXPECT_EQ(r.errors[i].line, i + 1);
  const Snapshot s = h.Collect();
  for (const char* source : {"file", "push"}) {
    SCOPED_TRACE(source);
    EXPECT_EQ(Value(s, kRejected, {source, "invalid_json"}), 1);
    EXPECT_EQ(Value(s, kRejected, {source, "invalid_utf8"}), 1);
    EXPECT_EQ(Value(s, kRejected, {source, "unknown_type"}), 1);
    EXPECT_EQ(Value(s, kRejected, {source, "missing_field"}), 1);
    EXPECT_EQ(Value(s, kRejected, {source, "wrong_type"}), 1);
    EXPECT_EQ(Value(s, kRejected, {source, "invalid_value"}), 1);
    EXPECT_EQ(Value(s, kEvents, {source, "run"}), 1);
  }
  // Only the valid run reached the metrics (twice: once per source).
  EXPECT_EQ(Value(s, kRequests, {"a", "success"}), 2);
  EXPECT_EQ(SeriesCount(s, kRequests), 1u);
  EXPECT_EQ(SeriesCount(s, "agent_tool_calls_total"), 0u);
}

// Finding 9: input_tokens, cost_usd and steps of 1.7e308 sent twice made counters and a
// histogram sum +Inf for good. They are rejected now; values at the maxima add up finitely.
TEST(PipelineTest, NoSumOverflowsWhateverTheNumbersSent) {
  Harness h;
  const std::string huge = "1.7e308";
  std::vector<std::string> lines;
  for (int twice = 0; twice < 2; ++twice) {
    lines.push_back(R"({"type":"llm_call","agent_id":"a","model":"m","input_tokens":)" + huge +
                    R"(,"cost_usd":)" + huge + "}");
    lines.push_back(R"({"type":"usage","agent_id":"a","model":"m","output_tokens":)" + huge + "}");
    lines.push_back(R"({"type":"run","agent_id":"a","status":"success","steps":)" + huge + "}");
    lines.push_back(R"({"type":"run","agent_id":"a","status":"success","duration_ms":)" + huge +
                    "}");
    lines.push_back(R"({"type":"task","agent_id":"a","task_type":"t","outcome":"completed",)"
                    R"("cost_usd":)" + huge + "}");
    // At the maxima: applied.
    lines.push_back(R"({"type":"llm_call","agent_id":"a","model":"m","input_tokens":1e9,)"
                    R"("cost_usd":1e6,"duration_ms":31536000000})");
    lines.push_back(R"({"type":"run","agent_id":"a","status":"success","steps":1000000,)"
                    R"("tool_calls":1000000,"duration_ms":31536000000})");
  }
  const BatchResult r = h.pipeline.Apply(Source::kPush, Views(lines), true);
  EXPECT_EQ(r.accepted, 4u);
  EXPECT_EQ(r.rejected, 10u);
  EXPECT_EQ(r.rejected_by_reason[static_cast<std::size_t>(RejectReason::kInvalidValue)], 10u);
  for (const LineError& e : r.errors) EXPECT_THAT(e.message, HasSubstr("must be at most"));
  const Snapshot s = h.Collect();
  for (const auto& [key, v] : Totals(s)) EXPECT_TRUE(std::isfinite(v)) << key << " = " << v;
  EXPECT_EQ(Value(s, "agent_tokens_consumed_total", {"a", "m", "input"}), 2e9);
  EXPECT_EQ(Value(s, "agent_cost_usd_total", {"a", "m"}), 2e6);
  EXPECT_EQ(FindSeries(s, "agent_reasoning_steps", {"a"})->sum, 2e6);
  EXPECT_EQ(Value(s, kRejected, {"push", "invalid_value"}), 10);
}

// ---------------------------------------------------------------------------------------
// File positions.

TEST(PipelineTest, PositionsAreTrackedPerFileIdentityAndForgottenOnClose) {
  Harness h;
  const std::vector<std::string> lines = {RunLine("a")};
  const FilePosition a1{"/logs/app.log", 7, 100, 50};
  const FilePosition b{"/logs/other.log", 7, 101, 10};
  const FilePosition a_other_dev{"/mnt/app.log", 8, 100, 5};  // same inode, other device
  h.pipeline.OnLines(a1, Views(lines), 0);
  h.pipeline.OnLines(b, Views(lines), 0);
  h.pipeline.OnLines(a_other_dev, Views(lines), 0);
  EXPECT_THAT(h.pipeline.Positions(), ElementsAre(a1, b, a_other_dev));

  // The same file (dev, ino), renamed by rotation and read further: one entry, updated.
  const FilePosition a2{"/logs/app.log.1", 7, 100, 90};
  h.pipeline.OnLines(a2, Views(lines), 0);
  EXPECT_THAT(h.pipeline.Positions(), ElementsAre(a2, b, a_other_dev));

  // Capture persists the same positions.
  EXPECT_THAT(h.pipeline.Capture().files, ElementsAre(a2, b, a_other_dev));

  // Closing forgets by identity, whatever path or offset the close reports.
  h.pipeline.OnFileClosed({"/logs/app.log.1", 7, 100, 90});
  EXPECT_THAT(h.pipeline.Positions(), ElementsAre(b, a_other_dev));
  h.pipeline.OnFileClosed({"/somewhere/else", 8, 100, 0});
  EXPECT_THAT(h.pipeline.Positions(), ElementsAre(b));
  h.pipeline.OnFileClosed({"/never/seen", 9, 9, 0});  // unknown file: no effect
  EXPECT_THAT(h.pipeline.Positions(), ElementsAre(b));
  EXPECT_THAT(h.pipeline.Capture().files, ElementsAre(b));
  EXPECT_EQ(Value(h.Collect(), kEvents, {"file", "run"}), 4);
}

TEST(PipelineTest, RestoredPositionsAreReturnedAndUpdated) {
  Harness h;
  PersistedState state;
  state.files = {{"/logs/a.log", 1, 1, 100}, {"/logs/b.log", 1, 2, 200}};
  state.wal_seq = 0;
  ASSERT_TRUE(h.pipeline.Restore(state).ok());
  EXPECT_EQ(h.pipeline.Positions(), state.files);
  const std::vector<std::string> lines = {RunLine("a")};
  h.pipeline.OnLines({"/logs/b.log", 1, 2, 300}, Views(lines), 0);
  EXPECT_THAT(h.pipeline.Positions(),
              ElementsAre(state.files[0], FilePosition{"/logs/b.log", 1, 2, 300}));
}

// Finding 9: a state whose counters and histogram sums had become +Inf (1.7e308 sent twice,
// before the per-event maxima) lost whole families at the restart, logged as "catalogue or
// buckets changed". Now every series that can be restored is, and each other one is logged
// with its labels and what was wrong, and counted.
TEST(PipelineTest, RestoreKeepsWhatCanBeRestoredOfAStateWithInfinities) {
  Harness first;
  first.registry.Counter(MetricId::kTokens, {"a", "m", "input"}).Inc(1.7e308);
  first.registry.Counter(MetricId::kTokens, {"a", "m", "input"}).Inc(1.7e308);
  first.registry.Counter(MetricId::kTokens, {"a", "m", "output"}).Inc(5);
  first.registry.Histogram(MetricId::kReasoningSteps, {"a"}).Observe(1.7e308);
  first.registry.Histogram(MetricId::kReasoningSteps, {"a"}).Observe(1.7e308);
  first.registry.Histogram(MetricId::kReasoningSteps, {"b"}).Observe(3);
  const PersistedState state = first.pipeline.Capture();

  Harness h;
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(h.pipeline.Restore(state).ok());
  const std::string log = ::testing::internal::GetCapturedStderr();
  const Snapshot s = h.Collect();
  EXPECT_EQ(Value(s, "agent_tokens_consumed_total", {"a", "m", "output"}), 5);
  EXPECT_EQ(FindSeries(s, "agent_tokens_consumed_total", {"a", "m", "input"}), nullptr);
  const SeriesSnapshot* a = FindSeries(s, "agent_reasoning_steps", {"a"});
  ASSERT_NE(a, nullptr) << "the histogram's buckets are restored";
  EXPECT_EQ(a->count(), 2u);
  EXPECT_EQ(a->sum, 0);
  ASSERT_NE(FindSeries(s, "agent_reasoning_steps", {"b"}), nullptr);
  EXPECT_EQ(FindSeries(s, "agent_reasoning_steps", {"b"})->sum, 3);
  constexpr char kErrors[] = "agent_exporter_state_restore_errors_total";
  EXPECT_EQ(Value(s, kErrors, {"agent_tokens_consumed_total", "non_finite"}), 1);
  EXPECT_EQ(Value(s, kErrors, {"agent_reasoning_steps", "non_finite_sum"}), 1);
  for (const auto& [key, v] : Totals(s)) EXPECT_TRUE(std::isfinite(v)) << key;

  EXPECT_THAT(log, HasSubstr("state: series not restored"));
  EXPECT_THAT(log, HasSubstr("agent_tokens_consumed_total"));
  EXPECT_THAT(log, HasSubstr("direction=\\\"input"));
  EXPECT_THAT(log, HasSubstr("value +Inf: the counter starts again from 0"));
  EXPECT_THAT(log, HasSubstr("state: histogram restored without its sum"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("catalogue or buckets changed")));
}

// ---------------------------------------------------------------------------------------
// Push and the WAL.

TEST(PipelineTest, PushWritesOnlyValidLinesToTheWalAndAppliesThem) {
  agx::testing::TempDir dir;
  auto wal = MustOpenWal(dir.path());
  ASSERT_NE(wal, nullptr);
  Harness h(Config::Defaults(), wal.get());
  const std::vector<std::string> lines = {RunLine("a"), "garbage", RunLine("b"),
                                          R"({"type":"run","agent_id":"c"})"};
  auto r = h.pipeline.Push(Views(lines));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->accepted, 2u);
  EXPECT_EQ(r->rejected, 2u);
  ASSERT_EQ(r->errors.size(), 2u);
  EXPECT_EQ(r->errors[0].line, 2u);
  EXPECT_EQ(r->errors[0].reason, RejectReason::kInvalidJson);
  EXPECT_EQ(r->errors[1].line, 4u);
  EXPECT_EQ(r->errors[1].reason, RejectReason::kMissingField);
  EXPECT_THAT(r->errors[1].message, HasSubstr("status"));

  EXPECT_EQ(wal->last_seq(), 1u);
  const auto records = Records(*wal);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(Batch(records.at(1)), "push||" + RunLine("a") + "|" + RunLine("b"));

  const Snapshot s = h.Collect();
  EXPECT_EQ(Value(s, kRequests, {"a", "success"}), 1);
  EXPECT_EQ(Value(s, kRequests, {"b", "success"}), 1);
  EXPECT_EQ(Value(s, kEvents, {"push", "run"}), 2);
  EXPECT_EQ(Value(s, kRejected, {"push", "invalid_json"}), 1);
  EXPECT_EQ(Value(s, kRejected, {"push", "missing_field"}), 1);
  EXPECT_EQ(h.pipeline.Capture().wal_seq, 1u);
}

TEST(PipelineTest, PushWithOnlyInvalidLinesAppliesNothingAndWritesNothing) {
  agx::testing::TempDir dir;
  auto wal = MustOpenWal(dir.path());
  ASSERT_NE(wal, nullptr);
  Harness h(Config::Defaults(), wal.get());
  const std::vector<std::string> lines = {"{", R"({"type":"run"})", "[1]"};
  const std::uint64_t bytes = wal->bytes();
  auto r = h.pipeline.Push(Views(lines));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->accepted, 0u);
  EXPECT_EQ(r->rejected, 3u);
  EXPECT_EQ(r->errors.size(), 3u);
  EXPECT_EQ(wal->last_seq(), 0u);
  EXPECT_EQ(wal->bytes(), bytes);
  EXPECT_TRUE(Records(*wal).empty());
  const Snapshot s = h.Collect();
  EXPECT_EQ(Sum(s, kEvents), 0);
  EXPECT_EQ(Sum(s, kRejected), 3);
  EXPECT_EQ(SeriesCount(s, kRequests), 0u);
  EXPECT_EQ(h.pipeline.Capture().wal_seq, 0u);

  // An empty push is no record either.
  auto empty = h.pipeline.Push({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->accepted + empty->rejected, 0u);
  EXPECT_EQ(wal->last_seq(), 0u);
}

TEST(PipelineTest, PushReportsAtMostTheErrorLimitButCountsEveryRejection) {
  Harness h;  // no WAL: applied without durability
  std::vector<std::string> lines(BatchResult::kMaxReportedErrors + 50, "nope");
  lines.push_back(RunLine("a"));
  auto r = h.pipeline.Push(Views(lines));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->accepted, 1u);
  EXPECT_EQ(r->rejected, BatchResult::kMaxReportedErrors + 50);
  EXPECT_EQ(r->errors.size(), BatchResult::kMaxReportedErrors);
  EXPECT_EQ(r->errors.back().line, BatchResult::kMaxReportedErrors);
  EXPECT_EQ(Value(h.Collect(), kRejected, {"push", "invalid_json"}),
            static_cast<double>(BatchResult::kMaxReportedErrors + 50));
  EXPECT_EQ(h.pipeline.Capture().wal_seq, 0u);
}

// A write error (here: the file size limit, which also applies to root) fails the push and
// applies nothing, so nothing is acknowledged that the WAL does not hold.
TEST(PipelineTest, PushFailsAndAppliesNothingWhenTheWalCannotBeWritten) {
  agx::testing::TempDir dir;
  auto wal = MustOpenWal(dir.path());
  ASSERT_NE(wal, nullptr);
  Harness h(Config::Defaults(), wal.get());
  const std::vector<std::string> first = {RunLine("a")};
  ASSERT_TRUE(h.pipeline.Push(Views(first)).ok());
  const Snapshot before = h.Collect();

  const std::vector<std::string> lines = {RunLine("b"), "invalid", RunLine("c")};
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* old_handler = ::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of a signal
  rlimit limited = old;
  limited.rlim_cur = wal->bytes();  // the segment may not grow
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  auto failed = h.pipeline.Push(Views(lines));
  // Restore before any assertion, so that the test's own output is not limited.
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
  ::signal(SIGXFSZ, old_handler);

  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.error(), HasSubstr("write-ahead log"));
  EXPECT_EQ(wal->last_seq(), 1u);
  const Snapshot after = h.Collect();
  // Only the failure itself is counted; nothing of the batch is applied.
  auto after_totals = Totals(after);
  const std::string failures = "agent_exporter_wal_append_failures_total{io_error,}";
  EXPECT_EQ(after_totals[failures], 1);
  after_totals[failures] = 0;
  EXPECT_EQ(after_totals, Totals(before)) << "nothing applied, not even the rejections";
  EXPECT_EQ(h.pipeline.Capture().wal_seq, 1u);

  // The failed record was cut off: the next push is logged right after the first.
  auto retried = h.pipeline.Push(Views(lines));
  ASSERT_TRUE(retried.ok()) << retried.error();
  EXPECT_EQ(retried->accepted, 2u);
  const auto records = Records(*wal);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(Batch(records.at(2)), "push||" + RunLine("b") + "|" + RunLine("c"));
  EXPECT_EQ(Value(h.Collect(), kRequests, {"b", "success"}), 1);
}

// Two threads push while a third captures: every captured state holds exactly the batches
// whose WAL records it covers (seq <= wal_seq), never a batch without its sequence number or
// the reverse. Restoring any captured state and replaying the WAL after it gives exactly the
// final totals: each batch counted once.
TEST(PipelineTest, CaptureIsConsistentWithTheWalUnderConcurrentPushes) {
  agx::testing::TempDir dir;
  auto wal = MustOpenWal(dir.path());
  ASSERT_NE(wal, nullptr);
  Harness h(Config::Defaults(), wal.get());

  constexpr int kBatchesPerThread = 60;
  constexpr int kBatches = 2 * kBatchesPerThread;
  constexpr int kCaptures = 200;
  // Batches differ by thread (3 or 5 runs, plus an llm_call, a tool_call and a task), so
  // a count that matches proves which batches are in. Every value added (1.25 s, 0.03125 s,
  // $0.5, $0.25) is exact in binary, so totals do not depend on the order of additions.
  auto make_batch = [](std::string_view agent, int runs) {
    std::vector<std::string> b;
    for (int i = 0; i < runs; ++i) {
      b.push_back(RunLine(agent, R"(,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736")"));
    }
    b.push_back(R"({"type":"llm_call","agent_id":")" + std::string(agent) +
                R"(","model":"claude-sonnet-4-5","input_tokens":1000,"output_tokens":10,"cost_usd":0.5})");
    b.push_back(R"({"type":"tool_call","agent_id":")" + std::string(agent) +
                R"(","tool_name":"search","status":"success","duration_ms":31.25})");
    b.push_back(R"({"type":"task","agent_id":")" + std::string(agent) +
                R"(","task_type":"t","outcome":"completed","cost_usd":0.25})");
    return b;
  };
  const std::vector<std::string> batch_a = make_batch("a", 3);
  const std::vector<std::string> batch_b = make_batch("b", 5);

  // Lock-step gates (no sleeps) make the captures interleave with the pushes: capture i
  // waits for about 0.6 i pushes, push j for about j / 0.6 captures. They cannot both wait.
  std::atomic<int> next_push{0};
  std::atomic<int> pushes_done{0};
  std::atomic<int> captures_done{0};
  std::atomic<int> push_failures{0};
  auto pusher = [&](const std::vector<std::string>& batch) {
    const std::vector<std::string_view> views = Views(batch);
    for (int k = 0; k < kBatchesPerThread; ++k) {
      const int j = next_push.fetch_add(1);
      while (captures_done.load() < j * kCaptures / kBatches - 4) std::this_thread::yield();
      auto r = h.pipeline.Push(views);
      if (!r.ok() || r->accepted != batch.size()) push_failures.fetch_add(1);
      pushes_done.fetch_add(1);
    }
  };
  std::vector<PersistedState> states;
  states.reserve(kCaptures);
  std::thread capturer([&] {
    for (int i = 0; i < kCaptures; ++i) {
      while (pushes_done.load() < i * kBatches / kCaptures - 2) std::this_thread::yield();
      states.push_back(h.pipeline.Capture());
      captures_done.fetch_add(1);
    }
  });
  std::thread ta(pusher, std::cref(batch_a));
  std::thread tb(pusher, std::cref(batch_b));
  ta.join();
  tb.join();
  capturer.join();
  ASSERT_EQ(push_failures.load(), 0);
  ASSERT_EQ(wal->last_seq(), static_cast<std::uint64_t>(kBatches));

  // Runs per record, from the WAL itself.
  const auto records = Records(*wal);
  ASSERT_EQ(records.size(), static_cast<std::size_t>(kBatches));
  std::map<std::uint64_t, double> runs_upto;  // seq -> runs in records 1..seq
  double runs = 0;
  for (const auto& [seq, payload] : records) {
    runs += static_cast<double>(CountOf(payload, R"("type":"run")"));
    runs_upto[seq] = runs;
  }
  runs_upto[0] = 0;

  ASSERT_EQ(states.size(), static_cast<std::size_t>(kCaptures));
  std::size_t intermediate = 0;
  for (std::size_t i = 0; i < states.size(); ++i) {
    const PersistedState& st = states[i];
    SCOPED_TRACE("capture " + std::to_string(i) + ", wal_seq " + std::to_string(st.wal_seq));
    ASSERT_LE(st.wal_seq, static_cast<std::uint64_t>(kBatches));
    ASSERT_EQ(Sum(st.metrics, kRequests), runs_upto.at(st.wal_seq));
    ASSERT_EQ(Value(st.metrics, kEvents, {"push", "run"}), runs_upto.at(st.wal_seq));
    ASSERT_EQ(Sum(st.metrics, "agent_tool_calls_total"), static_cast<double>(st.wal_seq));
    if (i > 0) {
      ASSERT_GE(st.wal_seq, states[i - 1].wal_seq);
    }
    if (st.wal_seq > 0 && st.wal_seq < static_cast<std::uint64_t>(kBatches)) ++intermediate;
  }
  EXPECT_GT(intermediate, 100u) << "the captures interleave with the pushes";

  // Exactly once through the WAL: restore a state, replay what follows it.
  const PersistedState final_state = h.pipeline.Capture();
  const auto want = Totals(final_state.metrics);
  EXPECT_EQ(Sum(final_state.metrics, kRequests), runs);
  for (std::size_t i : {std::size_t{0}, states.size() / 3, states.size() / 2, states.size() - 1}) {
    const PersistedState& st = states[i];
    SCOPED_TRACE("restore capture " + std::to_string(i) + ", wal_seq " +
                 std::to_string(st.wal_seq));
    Harness fresh(Config::Defaults(), wal.get());
    ASSERT_TRUE(fresh.pipeline.Restore(st).ok());
    auto replayed = fresh.pipeline.ReplayWal();
    ASSERT_TRUE(replayed.ok()) << replayed.error();
    EXPECT_EQ(*replayed, kBatches - st.wal_seq);
    const PersistedState again = fresh.pipeline.Capture();
    EXPECT_EQ(again.wal_seq, static_cast<std::uint64_t>(kBatches));
    EXPECT_EQ(Totals(again.metrics), want);
  }
  // Restoring the final state replays nothing.
  Harness fresh(Config::Defaults(), wal.get());
  ASSERT_TRUE(fresh.pipeline.Restore(final_state).ok());
  auto replayed = fresh.pipeline.ReplayWal();
  ASSERT_TRUE(replayed.ok()) << replayed.error();
  EXPECT_EQ(*replayed, 0u);
  EXPECT_EQ(Totals(fresh.Collect()), want);
}

TEST(PipelineTest, ReplayWalWithoutAWalIsANoOp) {
  Harness h;
  auto replayed = h.pipeline.ReplayWal();
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(*replayed, 0u);
}

// ---------------------------------------------------------------------------------------
// Event mapper: cost rules.

constexpr char kTokens[] = "agent_tokens_consumed_total";
constexpr char kCost[] = "agent_cost_usd_total";
constexpr char kUnpriced[] = "agent_exporter_unpriced_tokens_total";

Config PricedConfig() {
  Config c = Config::Defaults();
  c.pricing = {
      {"exact-model", 1, 2, 0.5, 4},
      {"family-*", 10, 20, 30, 40},
      {"family-special", 100, 200, 300, 400},  // an exact entry beats a prefix
      {"family-long-*", 3, 6, 9, 12},          // the longest prefix wins
  };
  return c;
}

std::string Llm(std::string_view model, std::string_view fields) {
  return R"({"type":"llm_call","agent_id":"ag","model":")" + std::string(model) + "\"" +
         std::string(fields) + "}";
}

TEST(PipelineTest, PricedModelsCostTokensTimesPricePerMillionInEachDirection) {
  Harness h(PricedConfig());
  const std::string tokens =
      R"(,"input_tokens":1000,"output_tokens":200,"cache_read_tokens":3000,"cache_creation_tokens":40)";
  struct Case {
    std::string model;
    double in, out, read, write;  // USD per million
  };
  const std::vector<Case> cases = {
      {"exact-model", 1, 2, 0.5, 4},
      {"family-x", 10, 20, 30, 40},
      {"family-special", 100, 200, 300, 400},
      {"family-long-y", 3, 6, 9, 12},
  };
  std::vector<std::string> lines;
  for (const Case& c : cases) lines.push_back(Llm(c.model, tokens));
  const BatchResult r = h.pipeline.Apply(Source::kFile, Views(lines));
  ASSERT_EQ(r.accepted, lines.size());
  const Snapshot s = h.Collect();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.model);
    const double want = (1000 * c.in + 200 * c.out + 3000 * c.read + 40 * c.write) / 1e6;
    ASSERT_TRUE(Value(s, kCost, {"ag", c.model}).has_value());
    EXPECT_NEAR(*Value(s, kCost, {"ag", c.model}), want, 1e-12);
    EXPECT_EQ(Value(s, kTokens, {"ag", c.model, "input"}), 1000);
    EXPECT_EQ(Value(s, kTokens, {"ag", c.model, "output"}), 200);
    EXPECT_EQ(Value(s, kTokens, {"ag", c.model, "cache_read"}), 3000);
    EXPECT_EQ(Value(s, kTokens, {"ag", c.model, "cache_creation"}), 40);
    EXPECT_EQ(Value(s, kUnpriced, {c.model}), std::nullopt);
    EXPECT_EQ(Value(s, "agent_llm_calls_total", {"ag", c.model, "success"}), 1);
  }
}

TEST(PipelineTest, ShippedPricesPriceKnownModelsByPrefix) {
  Harness h;  // Config::Defaults(): claude-sonnet-4* is 3 / 15 / 0.30 / 3.75 USD per million
  const std::vector<std::string> lines = {Llm(
      "claude-sonnet-4-5",
      R"(,"input_tokens":2000,"output_tokens":100,"cache_read_tokens":1000,"cache_creation_tokens":100)")};
  ASSERT_EQ(h.pipeline.Apply(Source::kFile, Views(lines)).accepted, 1u);
  EXPECT_NEAR(*Value(h.Collect(), kCost, {"ag", "claude-sonnet-4-5"}),
              (2000 * 3 + 100 * 15 + 1000 * 0.30 + 100 * 3.75) / 1e6, 1e-12);
}

TEST(PipelineTest, EventCostWinsOverPricing) {
  Harness h(PricedConfig());
  const std::vector<std::string> lines = {
      Llm("exact-model", R"(,"input_tokens":1000000,"output_tokens":1000000,"cost_usd":0.125)"),
      Llm("family-x", R"(,"input_tokens":5,"cost_usd":0)"),
      Llm("unpriced-model", R"(,"input_tokens":70,"cost_usd":0.5)"),
  };
  ASSERT_EQ(h.pipeline.Apply(Source::kFile, Views(lines)).accepted, 3u);
  const Snapshot s = h.Collect();
  EXPECT_EQ(Value(s, kCost, {"ag", "exact-model"}), 0.125);
  EXPECT_EQ(Value(s, kCost, {"ag", "family-x"}), 0);  // a reported zero cost is a cost
  EXPECT_EQ(Value(s, kCost, {"ag", "unpriced-model"}), 0.5);
  // Tokens are counted in every case; a reported cost is never "unpriced".
  EXPECT_EQ(Value(s, kTokens, {"ag", "exact-model", "output"}), 1000000);
  EXPECT_EQ(Value(s, kTokens, {"ag", "unpriced-model", "input"}), 70);
  EXPECT_EQ(SeriesCount(s, kUnpriced), 0u);
}

TEST(PipelineTest, UnpricedModelCountsUnpricedTokensAndCreatesNoCostSeries) {
  Harness h(PricedConfig());
  const std::vector<std::string> lines = {
      Llm("local-llama-3", R"(,"input_tokens":100,"output_tokens":20,"cache_read_tokens":3)"),
      Llm("local-llama-3", R"(,"input_tokens":1,"cache_creation_tokens":4)"),
      Llm("fam-x", R"(,"output_tokens":7)"),  // "family-*" does not match "fam-x"
  };
  ASSERT_EQ(h.pipeline.Apply(Source::kFile, Views(lines)).accepted, 3u);
  const Snapshot s = h.Collect();
  EXPECT_EQ(Value(s, kUnpriced, {"local-llama-3"}), 128);
  EXPECT_EQ(Value(s, kUnpriced, {"fam-x"}), 7);
  EXPECT_EQ(SeriesCount(s, kCost), 0u) << "never a silent $0";
  EXPECT_EQ(Value(s, kTokens, {"ag", "local-llama-3", "input"}), 101);
  EXPECT_EQ(Value(s, kTokens, {"ag", "local-llama-3", "cache_creation"}), 4);
  EXPECT_EQ(Value(s, "agent_llm_calls_total", {"ag", "local-llama-3", "success"}), 2);
}

TEST(PipelineTest, ZeroOrAbsentTokensCreateNoTokenSeries) {
  Harness h(PricedConfig());
  const std::vector<std::string> lines = {
      Llm("exact-model", R"(,"input_tokens":0,"output_tokens":5,"cache_read_tokens":0)"),
      Llm("no-price", R"(,"input_tokens":0,"output_tokens":0)"),
      Llm("no-price-2", ""),
  };
  ASSERT_EQ(h.pipeline.Apply(Source::kFile, Views(lines)).accepted, 3u);
  const Snapshot s = h.Collect();
  ASSERT_NE(s.Find(kTokens), nullptr);
  ASSERT_EQ(SeriesCount(s, kTokens), 1u);
  EXPECT_EQ(s.Find(kTokens)->series[0].label_values, (Labels{"ag", "exact-model", "output"}));
  EXPECT_EQ(s.Find(kTokens)->series[0].value, 5);
  EXPECT_NEAR(*Value(s, kCost, {"ag", "exact-model"}), 5 * 2 / 1e6, 1e-15);
  // Unpriced models with no tokens: nothing to count as unpriced, and no cost.
  EXPECT_EQ(SeriesCount(s, kUnpriced), 0u);
  EXPECT_EQ(Value(s, kCost, {"ag", "no-price"}), std::nullopt);
  EXPECT_EQ(Value(s, kCost, {"ag", "no-price-2"}), std::nullopt);
  EXPECT_EQ(Value(s, "agent_llm_calls_total", {"ag", "no-price-2", "success"}), 1);
}


TEST(PipelineTest, UsageEventsAddTokensAndCostButNoCallAndAreNeverPriced) {
  Harness h(PricedConfig());
  const std::vector<std::string> lines = {
      R"({"type":"usage","agent_id":"ag","model":"exact-model","input_tokens":1000,"output_tokens":20})",
      R"({"type":"usage","agent_id":"ag","model":"exact-model","cache_read_tokens":7,"cache_creation_tokens":3})",
      R"({"type":"usage","agent_id":"ag","model":"exact-model","cost_usd":0.25})",
      R"({"type":"usage","agent_id":"ag","model":"unpriced","input_tokens":5})",
      R"({"type":"usage","agent_id":"ag","input_tokens":5})",                      // no model
      R"({"type":"usage","agent_id":"ag","model":"m","cost_usd":-1})",             // negative
  };
  const BatchResult r = h.pipeline.Apply(Source::kFile, Views(lines));
  EXPECT_EQ(r.accepted, 4u);
  EXPECT_EQ(r.rejected_by_reason[static_cast<std::size_t>(RejectReason::kMissingField)], 1u);
  EXPECT_EQ(r.rejected_by_reason[static_cast<std::size_t>(RejectReason::kInvalidValue)], 1u);
  const Snapshot s = h.Collect();
  EXPECT_EQ(Value(s, kTokens, {"ag", "exact-model", "input"}), 1000);
  EXPECT_EQ(Value(s, kTokens, {"ag", "exact-model", "output"}), 20);
  EXPECT_EQ(Value(s, kTokens, {"ag", "exact-model", "cache_read"}), 7);
  EXPECT_EQ(Value(s, kTokens, {"ag", "exact-model", "cache_creation"}), 3);
  EXPECT_EQ(Value(s, kCost, {"ag", "exact-model"}), 0.25) << "tokens are not priced";
  EXPECT_EQ(Value(s, kTokens, {"ag", "unpriced", "input"}), 5);
  EXPECT_EQ(SeriesCount(s, kUnpriced), 0u) << "usage tokens are not expected to be priced";
  EXPECT_EQ(SeriesCount(s, "agent_llm_calls_total"), 0u);
  EXPECT_EQ(Value(s, "agent_exporter_events_total", {"file", "usage"}), 4);
}

// docs/events.md, approval: one review per investigation; the override rate is
// (denied + overridden) / (approved + denied + overridden) per agent, timeouts excluded.
TEST(PipelineTest, ApprovalsAreCountedByResultSoTheOverrideRateCanBeComputed) {
  Harness h;
  std::vector<std::string> lines;
  auto add = [&](std::string_view agent, std::string_view result, int n) {
    for (int i = 0; i < n; ++i) {
      lines.push_back(R"({"type":"approval","agent_id":")" + std::string(agent) +
                      R"(","result":")" + std::string(result) + "\"}");
    }
  };
  add("sre-agent", "approved", 93);  // diagnoses confirmed after review
  add("sre-agent", "overridden", 5);  // diagnoses replaced by the on-call's own
  add("sre-agent", "denied", 2);      // remediations the on-call refused to run
  add("sre-agent", "timeout", 4);     // nobody answered: no human decision
  add("support-bot", "approved", 10);
  add("support-bot", "overriden", 1);  // a typo is rejected, never counted as an override
  const BatchResult r = h.pipeline.Apply(Source::kPush, Views(lines));
  EXPECT_EQ(r.accepted, 114u);
  EXPECT_EQ(r.rejected_by_reason[static_cast<std::size_t>(RejectReason::kInvalidValue)], 1u);

  const Snapshot s = h.Collect();
  constexpr char kApprovals[] = "agent_approvals_total";
  EXPECT_EQ(Value(s, kApprovals, {"sre-agent", "approved"}), 93);
  EXPECT_EQ(Value(s, kApprovals, {"sre-agent", "overridden"}), 5);
  EXPECT_EQ(Value(s, kApprovals, {"sre-agent", "denied"}), 2);
  EXPECT_EQ(Value(s, kApprovals, {"sre-agent", "timeout"}), 4);
  EXPECT_EQ(Value(s, kApprovals, {"support-bot", "approved"}), 10);
  EXPECT_EQ(Value(s, kApprovals, {"support-bot", "overridden"}), std::nullopt);
  EXPECT_EQ(Value(s, kEvents, {"push", "approval"}), 114);
  EXPECT_EQ(Value(s, kRejected, {"push", "invalid_value"}), 1);

  // 7 overrides in 100 reviews: over the source article's 5 per 100.
  const double overrides = *Value(s, kApprovals, {"sre-agent", "denied"}) +
                           *Value(s, kApprovals, {"sre-agent", "overridden"});
  const double reviews = overrides + *Value(s, kApprovals, {"sre-agent", "approved"});
  EXPECT_DOUBLE_EQ(overrides / reviews, 0.07);
}

TEST(PipelineTest, OtlpBatchesAreLoggedWithTheirSourceAndReplayedAsOtlp) {
  agx::testing::TempDir dir;
  auto wal = MustOpenWal(dir.path());
  ASSERT_NE(wal, nullptr);
  const std::vector<std::string> otlp = {
      R"({"type":"tool_call","agent_id":"a","tool_name":"search","status":"success"})",
      R"({"type":"tool_call","agent_id":"a","tool_name":"search","status":"oops"})",
  };
  const std::vector<std::string> push = {
      R"({"type":"run","agent_id":"a","status":"success"})"};
  {
    Harness h(Config::Defaults(), wal.get());
    auto r = h.pipeline.Push(Views(otlp), Source::kOtlp);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->accepted, 1u);
    ASSERT_TRUE(h.pipeline.Push(Views(push)).ok());
    const Snapshot s = h.Collect();
    EXPECT_EQ(Value(s, "agent_exporter_events_total", {"otlp", "tool_call"}), 1);
    EXPECT_EQ(Value(s, "agent_exporter_events_rejected_total", {"otlp", "invalid_value"}), 1);
    EXPECT_EQ(Value(s, "agent_exporter_events_total", {"push", "run"}), 1);
  }
  const auto records = Records(*wal);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(Batch(records.begin()->second), "otlp||" + otlp[0]) << "only valid lines";
  EXPECT_EQ(Batch(records.rbegin()->second), "push||" + push[0]);

  Harness fresh(Config::Defaults(), wal.get());
  auto replayed = fresh.pipeline.ReplayWal();
  ASSERT_TRUE(replayed.ok()) << replayed.error();
  EXPECT_EQ(*replayed, 2u);
  const Snapshot s = fresh.Collect();
  EXPECT_EQ(Value(s, "agent_exporter_events_total", {"otlp", "tool_call"}), 1);
  EXPECT_EQ(Value(s, "agent_exporter_events_total", {"push", "run"}), 1);
  EXPECT_EQ(Value(s, "agent_tool_calls_total", {"a", "search", "success"}), 1);
}

TEST(PipelineTest, PrettyPrintedEventsReplayWholeFromTheWal) {
  agx::testing::TempDir dir;
  auto wal = MustOpenWal(dir.path());
  ASSERT_NE(wal, nullptr);
  // Elements of a pushed JSON array as json.dumps(..., indent=2) writes them; the first holds
  // an event-shaped object on a line of its own.
  const std::vector<std::string> events = {
      "{\n  \"type\": \"run\",\n  \"agent_id\": \"a\",\n  \"status\": \"success\",\n  \"meta\":\n"
      "{\"type\":\"run\",\"agent_id\":\"ghost\",\"status\":\"success\"}\n}",
      "{\n  \"type\": \"tool_call\",\n  \"agent_id\": \"a\",\n  \"tool_name\": \"x\",\n"
      "  \"status\": \"timeout\"\n}"};
  {
    Harness h(Config::Defaults(), wal.get());
    auto r = h.pipeline.Push(Views(events));
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->accepted, 2u);
  }
  Harness fresh(Config::Defaults(), wal.get());  // a crash before any snapshot
  auto replayed = fresh.pipeline.ReplayWal();
  ASSERT_TRUE(replayed.ok()) << replayed.error();
  const Snapshot s = fresh.Collect();
  EXPECT_EQ(Value(s, kRequests, {"a", "success"}), 1);
  EXPECT_EQ(Value(s, "agent_tool_calls_total", {"a", "x", "timeout"}), 1);
  EXPECT_FALSE(Value(s, kRequests, {"ghost", "success"}).has_value()) << "a nested object is not an event";
  EXPECT_EQ(Sum(s, kRejected), 0) << "no fragment rejected";
}

// Records what the pipeline hands it, as the OTLP span memory does (batch_annex.h).
class RecordingAnnex final : public BatchAnnex {
 public:
  void Apply(std::string_view data, bool replayed) override {
    applied.emplace_back(std::string(data), replayed);
  }
  std::string Save() const override { return "saved:" + std::to_string(applied.size()); }
  Status Load(std::string_view state) override {
    if (state == "bad") return Error{"unreadable"};
    loaded = state;
    return OkStatus();
  }
  std::vector<std::pair<std::string, bool>> applied;
  std::string loaded;
};

TEST(PipelineTest, AnnexDataIsLoggedAppliedReplayedAndSavedWithItsBatch) {
  agx::testing::TempDir dir;
  auto wal = MustOpenWal(dir.path());
  ASSERT_NE(wal, nullptr);
  const std::vector<std::string> lines = {
      R"({"type":"tool_call","agent_id":"a","tool_name":"search","status":"success"})"};
  PersistedState mid;
  {
    Harness h(Config::Defaults(), wal.get());
    RecordingAnnex annex;
    h.pipeline.SetAnnex(&annex);
    ASSERT_TRUE(h.pipeline.Push(Views(lines), Source::kOtlp, "abc").ok());
    mid = h.pipeline.Capture();
    // A batch of annex data alone (spans that were all duplicates) is logged too.
    ASSERT_TRUE(h.pipeline.Push({}, Source::kOtlp, "def").ok());
    EXPECT_EQ(annex.applied, (std::vector<std::pair<std::string, bool>>{{"abc", false}, {"def", false}}));
    EXPECT_EQ(mid.annex, "saved:1");
  }
  const auto records = Records(*wal);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(Batch(records.begin()->second), "otlp|abc|" + lines[0]);
  EXPECT_EQ(Batch(records.rbegin()->second), "otlp|def");

  // After a crash: the snapshot's annex state, then the records after it, replayed.
  Harness fresh(Config::Defaults(), wal.get());
  RecordingAnnex annex;
  fresh.pipeline.SetAnnex(&annex);
  ASSERT_TRUE(fresh.pipeline.Restore(mid).ok());
  EXPECT_EQ(annex.loaded, "saved:1");
  auto replayed = fresh.pipeline.ReplayWal();
  ASSERT_TRUE(replayed.ok()) << replayed.error();
  EXPECT_EQ(annex.applied, (std::vector<std::pair<std::string, bool>>{{"def", true}}));
  EXPECT_EQ(Value(fresh.Collect(), "agent_tool_calls_total", {"a", "search", "success"}), 1);

  PersistedState bad = mid;
  bad.annex = "bad";
  Harness other(Config::Defaults(), nullptr);
  RecordingAnnex other_annex;
  other.pipeline.SetAnnex(&other_annex);
  auto restored = other.pipeline.Restore(bad);
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.error(), "unreadable");
}

TEST(PipelineTest, CachedHandlesKeepCountingEveryOverflowAndTruncatedUpdate) {
  RegistryOptions options;
  options.series_limit = 1;
  options.label_value_max_bytes = 8;
  Registry registry(options);
  const Config c = Config::Defaults();
  TaskWindows windows(registry, c.registry.window);
  Pipeline pipeline(registry, windows, c, nullptr);
  std::vector<std::string> lines;
  for (int round = 0; round < 3; ++round) {
    // The first tool gets the only series; the others overflow, every time.
    for (const char* tool : {"search", "fetch", "write"}) {
      lines.push_back(std::string(R"({"type":"tool_call","agent_id":"a","tool_name":")") + tool +
                      R"(","status":"success"})");
    }
    // A model name over 8 bytes is cut, and counted, on every update.
    lines.push_back(R"({"type":"llm_call","agent_id":"a","model":"claude-sonnet-4-5","input_tokens":5})");
  }
  ASSERT_EQ(pipeline.Apply(Source::kFile, Views(lines)).accepted, lines.size());
  const Snapshot s = registry.Collect();
  EXPECT_EQ(Value(s, "agent_tool_calls_total", {"a", "search", "success"}), 3);
  EXPECT_EQ(Value(s, "agent_tool_calls_total", {"__overflow__", "__overflow__", "__overflow__"}), 6);
  EXPECT_EQ(Value(s, "agent_exporter_series_overflow_total", {"agent_tool_calls_total"}), 6);
  EXPECT_EQ(Value(s, kTokens, {"a", "claude-s", "input"}), 15);
  // calls, tokens and cost each cut "claude-sonnet-4-5" on each of the 3 events.
  EXPECT_EQ(Value(s, "agent_exporter_label_values_truncated_total", {"agent_llm_calls_total"}), 3);
  EXPECT_EQ(Value(s, "agent_exporter_label_values_truncated_total", {"agent_tokens_consumed_total"}), 3);
}


TEST(PipelineTest, PushesStopAtTheWalSizeLimitAndResumeAfterCompaction) {
  agx::testing::TempDir dir;
  auto wal = MustOpenWal(dir.path());
  ASSERT_NE(wal, nullptr);
  Config c = Config::Defaults();
  c.state.max_wal_bytes = 600;
  Harness h(c, wal.get());
  const std::vector<std::string> batch = {
      R"({"type":"run","agent_id":"a","status":"success","duration_ms":1})",
      R"({"type":"run","agent_id":"a","status":"success","duration_ms":2})"};
  int acked = 0;
  Result<BatchResult> r = BatchResult{};
  while ((r = h.pipeline.Push(Views(batch))).ok()) ++acked;
  EXPECT_GE(acked, 2);
  EXPECT_LE(wal->bytes(), 600u);
  EXPECT_NE(r.error().find("state.max_wal_bytes"), std::string::npos) << r.error();
  Snapshot s = h.Collect();
  EXPECT_EQ(Value(s, kRequests, {"a", "success"}), 2 * acked) << "refused batches are not applied";
  EXPECT_EQ(Value(s, "agent_exporter_wal_append_failures_total", {"size_limit"}), 1);
  // A snapshot compacts the log; pushes are accepted again.
  const PersistedState state = h.pipeline.Capture();
  ASSERT_TRUE(wal->Compact(state.wal_seq).ok());
  EXPECT_TRUE(h.pipeline.Push(Views(batch)).ok());
}

}  // namespace
}  // namespace agx
