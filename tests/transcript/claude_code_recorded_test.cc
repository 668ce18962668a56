// The Claude Code mapper on transcripts written by the real Claude Code CLI, run offline
// against a fake Anthropic API that recorded what it sent (tests/transcripts/claude_code/,
// record.py): the counts must equal that truth exactly. AGX_CC_RECORDING names another
// recording folder (the live integration test records a fresh one and points here).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "transcript/claude_code_testutil.h"

namespace agx::transcript {
namespace {

namespace fs = std::filesystem;
using testing::Feeder;
using testing::ReadLines;
using testing::Sum;
using testing::Totals;
using testing::TranscriptFiles;

fs::path RecordingDir() {
  if (const char* dir = std::getenv("AGX_CC_RECORDING"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return fs::path(AGX_SOURCE_DIR) / "tests/transcripts/claude_code/recorded/2.1.337";
}

nlohmann::json Truth() {
  std::ifstream in(RecordingDir() / "truth.json");
  EXPECT_TRUE(in.good()) << "no truth.json in " << RecordingDir();
  return nlohmann::json::parse(in);
}

// What the fake API sent, summed like the metrics.
Totals Expected(const nlohmann::json& truth) {
  Totals t;
  const std::pair<const char*, const char*> dirs[] = {
      {"input_tokens", "input"},
      {"output_tokens", "output"},
      {"cache_read_input_tokens", "cache_read"},
      {"cache_creation_input_tokens", "cache_creation"}};
  for (const auto& r : truth["responses"]) {
    ++t.calls[{r["model"], "success"}];
    for (const auto& [field, dir] : dirs) {
      const double v = r["usage"][field].get<double>();
      if (v > 0) t.tokens[{r["model"], dir}] += v;
    }
  }
  for (const auto& e : truth["errors"]) ++t.calls[{e["model"], "failure"}];
  for (const auto& [id, name] : truth["tool_uses"].items()) {
    if (!truth["tool_results"].contains(id)) continue;
    ++t.tools[{name.get<std::string>(),
               truth["tool_results"][id].get<bool>() ? "failure" : "success"}];
  }
  for (const auto& r : truth["runs"]) ++t.runs[r["is_error"].get<bool>() ? "failure" : "success"];
  return t;
}

struct FileLines {
  fs::path path;
  std::vector<std::string> lines;
};

std::vector<FileLines> Recording() {
  std::vector<FileLines> files;
  for (const fs::path& p : TranscriptFiles(RecordingDir() / "projects")) {
    files.push_back({p, ReadLines(p)});
  }
  return files;
}

TEST(ClaudeCodeRecordedTest, CountsEqualWhatTheApiSent) {
  const nlohmann::json truth = Truth();
  for (const auto& r : truth["responses"]) {
    ASSERT_FALSE(r["auxiliary"].get<bool>())
        << "the CLI made a call outside the scripts (not in any transcript): " << r.dump();
  }
  Feeder feed;
  std::map<std::string, double> delay_by_id;
  for (const auto& r : truth["responses"]) delay_by_id[r["id"]] = r["delay_s"].get<double>() * 1000;
  std::size_t timed = 0;
  const auto files = Recording();
  ASSERT_GE(files.size(), 2u) << "expected a session and a sub-agent file";
  std::uint64_t ino = 1;
  for (const FileLines& f : files) {
    for (const std::string& line : f.lines) {
      for (const auto& e : feed.Line(line, ino, f.path.string())) {
        if (e["type"] != "llm_call" || e.value("status", "") != "success") continue;
        // The latency is measured from the attempt's api-request line: at least the delay
        // the fake server waited before answering.
        const auto id = nlohmann::json::parse(line)["message"]["id"].get<std::string>();
        ASSERT_TRUE(e.contains("duration_ms")) << line.substr(0, 200);
        EXPECT_GE(e["duration_ms"].get<double>(), delay_by_id.at(id)) << id;
        ++timed;
      }
    }
    ++ino;
  }
  EXPECT_EQ(timed, truth["responses"].size());
  EXPECT_EQ(feed.invalid, 0u);
  EXPECT_EQ(feed.Dropped(DropReason::kUnknownType), 0u) << "a line type this mapper does not know";
  const Totals got = Sum(feed.events);
  EXPECT_EQ(got, Expected(truth));
  EXPECT_TRUE(got.cost.empty()) << "no usage growth expected: the CLI writes final usage";
}

// A fresh mapper loaded from Save() maps the remaining lines exactly as the original: split
// the recording at every line.
TEST(ClaudeCodeRecordedTest, SaveLoadAtEveryLineMapsTheSame) {
  struct At {
    std::size_t file;
    const std::string* line;
  };
  const auto files = Recording();
  std::vector<At> all;
  for (std::size_t i = 0; i < files.size(); ++i) {
    for (const std::string& l : files[i].lines) all.push_back({i, &l});
  }
  auto feed_range = [&](Feeder& feed, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      feed.Line(*all[i].line, all[i].file + 1, files[all[i].file].path.string());
    }
  };
  Feeder whole;
  feed_range(whole, 0, all.size());
  for (std::size_t split = 0; split <= all.size(); ++split) {
    SCOPED_TRACE(split);
    Feeder before;
    feed_range(before, 0, split);
    const std::string saved = before.mapper.Save();
    ASSERT_EQ(saved.find('\n'), std::string::npos);
    Feeder after;
    ASSERT_TRUE(after.mapper.Load(saved).ok());
    EXPECT_EQ(after.mapper.Save(), saved);
    feed_range(after, split, all.size());
    ASSERT_EQ(before.raw + after.raw, whole.raw);
  }
}

// Not an assertion (no timed assertions in tests): the mapper's speed on real lines, and the
// state's size, for the record.
TEST(ClaudeCodeRecordedTest, ReportsThroughputAndStateSize) {
  const auto files = Recording();
  std::size_t lines = 0, bytes = 0;
  for (const auto& f : files) {
    for (const auto& l : f.lines) {
      ++lines;
      bytes += l.size();
    }
  }
  constexpr int kRounds = 20;
  std::string out;
  MapperLimits limits = testing::TestLimits();
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < kRounds; ++r) {
    ClaudeCodeMapper mapper(limits);
    for (std::size_t i = 0; i < files.size(); ++i) {
      for (const auto& l : files[i].lines) {
        out.clear();
        MapOutput mo;
        mo.lines = &out;
        mapper.MapLine({1, i + 1, files[i].path.string()}, l, &mo);
      }
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Feeder feed;
  for (std::size_t i = 0; i < files.size(); ++i) {
    for (const auto& l : files[i].lines) feed.Line(l, i + 1, files[i].path.string());
  }
  const std::string state = feed.mapper.Save();
  std::cout << "claude_code mapper: " << lines << " lines, " << bytes << " bytes; "
            << static_cast<long>(lines * kRounds / s) << " lines/s, "
            << static_cast<long>(bytes * kRounds / s / 1e6) << " MB/s; state "
            << state.size() << " bytes for " << feed.mapper.Entries() << " entries\n";
  SUCCEED();
}

}  // namespace
}  // namespace agx::transcript
