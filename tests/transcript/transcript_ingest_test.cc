// TranscriptIngest between a real FileTailer on real files and a real Pipeline: events,
// drop and rejection counts, and that the mapper's state section is saved exactly with the
// lines and positions it belongs to (under concurrent snapshots, and across a restore).
// The mapper here is a minimal one of the test's own (the contract of transcript_mapper.h);
// the real formats are tested in claude_code_* and codex_* tests.
#include "transcript/transcript_ingest.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "ingest/native_line.h"
#include "registry/registry.h"
#include "registry/sliding_window.h"
#include "tail/tail_testutil.h"

namespace agx::transcript {
namespace {

// "tool NAME" -> one tool_call; "dup" -> duplicate; "new-kind" -> unknown_type; anything
// else -> invalid. The state is the number of tool lines mapped, as text.
class CountingMapper final : public TranscriptMapper {
 public:
  void MapLine(const FileContext&, std::string_view line, MapOutput* out) override {
    if (line.starts_with("tool ")) {
      NativeLine(out->lines, "tool_call")
          .Str("agent_id", "test-agent")
          .Str("tool_name", line.substr(5))
          .Str("status", "success")
          .End();
      ++tools_;
    } else if (line == "dup") {
      ++out->dropped[static_cast<std::size_t>(DropReason::kDuplicate)];
    } else if (line == "new-kind") {
      ++out->dropped[static_cast<std::size_t>(DropReason::kUnknownType)];
    } else {
      ++out->invalid;
    }
  }
  void FileClosed(std::uint64_t, std::uint64_t) override { ++closed_; }
  std::string Save() const override { return "v1 " + std::to_string(tools_); }
  Status Load(std::string_view state) override {
    if (!state.starts_with("v1 ")) return Error{"not a v1 state"};
    tools_ = std::stoull(std::string(state.substr(3)));
    return OkStatus();
  }
  std::size_t Entries() const override { return 0; }

  std::uint64_t tools_ = 0;
  int closed_ = 0;
};

struct Harness {
  Harness()
      : config(Config::Defaults()),
        windows(registry, config.registry.window),
        pipeline(registry, windows, config, nullptr) {
    auto m = std::make_unique<CountingMapper>();
    mapper = m.get();
    ingest = std::make_unique<TranscriptIngest>(pipeline, registry, Format::kCodex, std::move(m));
  }
  double Value(std::string_view family, const std::vector<std::string>& labels) const {
    const Snapshot s = registry.Collect();
    const FamilySnapshot* f = s.Find(family);
    if (f == nullptr) return -1;
    for (const SeriesSnapshot& series : f->series) {
      if (series.label_values == labels) return series.value;
    }
    return -1;
  }
  Config config;
  Registry registry;
  TaskWindows windows;
  Pipeline pipeline;
  CountingMapper* mapper = nullptr;
  std::unique_ptr<TranscriptIngest> ingest;
};

double ToolCalls(const Snapshot& s) {
  const FamilySnapshot* f = s.Find("agent_tool_calls_total");
  double sum = 0;
  if (f != nullptr) {
    for (const SeriesSnapshot& series : f->series) sum += series.value;
  }
  return sum;
}

TEST(TranscriptIngestTest, CountsEventsDropsAndRejectionsBySource) {
  testing::TempDir dir;
  const std::string path = dir.Path("rollout.jsonl");
  testing::Append(path, "tool exec\ndup\nnew-kind\n{broken\n\ntool exec\ntool read\n");
  Harness h;
  FileTailer tailer(TailOptions{{path}}, h.ingest.get());
  tailer.Poll();
  EXPECT_EQ(h.Value("agent_tool_calls_total", {"test-agent", "exec", "success"}), 2);
  EXPECT_EQ(h.Value("agent_tool_calls_total", {"test-agent", "read", "success"}), 1);
  EXPECT_EQ(h.Value("agent_exporter_events_total", {"transcript", "tool_call"}), 3);
  EXPECT_EQ(h.Value("agent_exporter_events_total", {"file", "tool_call"}), 0);
  EXPECT_EQ(h.Value("agent_exporter_events_rejected_total", {"transcript", "invalid_json"}), 1);
  EXPECT_EQ(h.Value("agent_exporter_transcript_dropped_total", {"codex", "duplicate"}), 1);
  EXPECT_EQ(h.Value("agent_exporter_transcript_dropped_total", {"codex", "unknown_type"}), 1);
  // Every reason is there from the start, for the other format too only when it runs.
  EXPECT_EQ(h.Value("agent_exporter_transcript_dropped_total", {"codex", "synthetic"}), 0);
  EXPECT_EQ(h.Value("agent_exporter_transcript_dropped_total", {"claude_code", "synthetic"}), -1);
}

TEST(TranscriptIngestTest, SnapshotsHoldTheMapperStateExactlyWithTheLinesItCounted) {
  testing::TempDir dir;
  const std::string path = dir.Path("session.jsonl");
  Harness h;
  FileTailer tailer(TailOptions{{path}}, h.ingest.get());
  std::atomic<bool> done{false};
  std::atomic<int> checked{0};
  std::atomic<int> mismatches{0};
  std::thread snapshots([&] {
    while (!done.load()) {
      const PersistedState st = h.pipeline.Capture();
      const std::string saved = st.sections.at("transcript.codex");
      if (saved != "v1 " + std::to_string(static_cast<std::uint64_t>(ToolCalls(st.metrics)))) {
        ++mismatches;
      }
      ++checked;
    }
  });
  int rounds = 0;
  for (; rounds < 300 || checked.load() < 100; ++rounds) {
    testing::Append(path, "tool a\ntool b\ndup\n");
    tailer.Poll();
  }
  done.store(true);
  snapshots.join();
  EXPECT_EQ(mismatches.load(), 0) << "of " << checked.load() << " snapshots";
  EXPECT_EQ(ToolCalls(h.registry.Collect()), 2 * rounds);
}

TEST(TranscriptIngestTest, ARestoredStateContinuesWhereTheSnapshotWas) {
  testing::TempDir dir;
  const std::string path = dir.Path("session.jsonl");
  testing::Append(path, "tool a\ntool b\n");
  PersistedState saved;
  {
    Harness h;
    FileTailer tailer(TailOptions{{path}}, h.ingest.get());
    tailer.Poll();
    saved = h.pipeline.Capture();
    testing::Append(path, "tool c\n");
    tailer.Poll();  // counted, but lost with the process: not in the snapshot
  }
  testing::Append(path, "tool d\n");
  Harness h;
  ASSERT_TRUE(h.pipeline.Restore(saved).ok());
  EXPECT_EQ(h.mapper->tools_, 2u);
  FileTailer tailer(TailOptions{{path}}, h.ingest.get());
  tailer.Restore(h.pipeline.Positions());
  tailer.Poll();
  EXPECT_EQ(ToolCalls(h.registry.Collect()), 4);  // a, b restored; c and d read again
  EXPECT_EQ(h.mapper->tools_, 4u);
  EXPECT_EQ(h.pipeline.Capture().sections.at("transcript.codex"), "v1 4");
}

TEST(TranscriptIngestTest, AStateTheMapperCannotReadStopsTheRestore) {
  Harness h;
  PersistedState st = h.pipeline.Capture();
  st.sections["transcript.codex"] = "v9 garbage";
  Harness fresh;
  auto r = fresh.pipeline.Restore(st);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("transcript.codex"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("not a v1 state"), std::string::npos) << r.error();
}

TEST(TranscriptIngestTest, AClosedFileIsForgottenByTheMapperAndThePositions) {
  testing::TempDir dir;
  const std::string path = dir.Path("old.jsonl");
  testing::Append(path, "tool a\n");
  Harness h;
  FileTailer tailer(TailOptions{{path}}, h.ingest.get());
  tailer.Poll();
  ASSERT_EQ(h.pipeline.Positions().size(), 1u);
  std::filesystem::remove(path);
  tailer.Poll();
  EXPECT_EQ(h.mapper->closed_, 1);
  EXPECT_TRUE(h.pipeline.Positions().empty());
}

}  // namespace
}  // namespace agx::transcript
