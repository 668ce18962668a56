// The Claude Code mapper on transcripts written by the real Claude Code CLI, run offline
// against a fake Anthropic API that recorded what it sent (tests/transcripts/claude_code/,
// record.py): the counts must equal that truth exactly. AGX_CC_RECORDING names another
// recording folder (the live integration test records a fresh one and points here).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "ingest/pipeline.h"
#include "registry/registry.h"
#include "registry/sliding_window.h"
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

// Milliseconds since the epoch of a transcript timestamp ("2026-12-08T00:18:14.519Z").
double IsoMs(const std::string& ts) {
  std::tm tm{};
  int ms = 0;
  EXPECT_EQ(std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon,
                        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms),
            7)
      << ts;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) * 1000 + ms;
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
  // One run per `claude -p` invocation, failed when the CLI said so; an invocation the user
  // interrupted is no run (docs/transcripts.md, "Runs"), though the CLI calls it an error.
  for (const auto& r : truth["runs"]) {
    if (r.value("interrupted", false)) continue;
    ++t.runs[r["is_error"].get<bool>() ? "failure" : "success"];
  }
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
  double worst = 0;  // largest shortfall against the server's delay (reported, not asserted)
  const auto files = Recording();
  ASSERT_GE(files.size(), 2u) << "expected a session and a sub-agent file";
  std::uint64_t ino = 1;
  for (const FileLines& f : files) {
    double request_ms = -1;  // this file's last api-request line
    for (const std::string& line : f.lines) {
      const auto j = nlohmann::json::parse(line);
      if (j.value("type", "") == "api-request") request_ms = IsoMs(j["timestamp"]);
      for (const auto& e : feed.Line(line, ino, f.path.string())) {
        if (e["type"] != "llm_call" || e.value("status", "") != "success") continue;
        // The latency is measured from the attempt's api-request line to the message's
        // first line. (Not compared with the fake server's delay: the CLI stamps the
        // api-request line up to tens of ms after the request left, under load.)
        const auto id = j["message"]["id"].get<std::string>();
        ASSERT_GE(request_ms, 0) << "no api-request line before " << id;
        ASSERT_TRUE(e.contains("duration_ms")) << line.substr(0, 200);
        EXPECT_DOUBLE_EQ(e["duration_ms"].get<double>(), IsoMs(j["timestamp"]) - request_ms) << id;
        worst = std::max(worst, delay_by_id.at(id) - e["duration_ms"].get<double>());
        ++timed;
      }
    }
    ++ino;
  }
  std::cout << "claude_code latency: at most " << worst
            << " ms below the fake server's delay\n";
  EXPECT_EQ(timed, truth["responses"].size());
  EXPECT_EQ(feed.invalid, 0u);
  EXPECT_EQ(feed.Dropped(DropReason::kUnknownType), 0u) << "a line type this mapper does not know";
  const Totals got = Sum(feed.events);
  EXPECT_EQ(got, Expected(truth));
  EXPECT_TRUE(got.cost.empty()) << "no usage growth expected: the CLI writes final usage";
}

// The recording shows what the mapper has to get right; a fresh recording (the live test)
// must show it too, or it proves less than it claims.
TEST(ClaudeCodeRecordedTest, RecordingHasEveryCase) {
  const nlohmann::json truth = Truth();
  const auto files = Recording();
  bool subagent = false;
  std::map<std::string, int> lines_by_id;
  for (const FileLines& f : files) {
    subagent |= f.path.string().find("/subagents/") != std::string::npos;
    for (const std::string& line : f.lines) {
      const auto j = nlohmann::json::parse(line);
      if (j.value("type", "") == "assistant" && j["message"].contains("id")) {
        ++lines_by_id[j["message"]["id"].get<std::string>()];
      }
    }
  }
  EXPECT_TRUE(subagent) << "no subagents/*.jsonl file";
  EXPECT_TRUE(std::any_of(lines_by_id.begin(), lines_by_id.end(),
                          [](const auto& kv) { return kv.second > 1; }))
      << "no streamed message written on several lines";
  int tool_errors = 0, interrupted = 0, failed_runs = 0;
  for (const auto& [id, is_error] : truth["tool_results"].items()) tool_errors += is_error.get<bool>();
  for (const auto& r : truth["runs"]) {
    interrupted += r.value("interrupted", false);
    failed_runs += !r.value("interrupted", false) && r["is_error"].get<bool>();
  }
  EXPECT_GE(tool_errors, 1);
  EXPECT_GE(interrupted, 1);
  EXPECT_GE(failed_runs, 1);
  EXPECT_GE(truth["errors"].size(), 1u) << "no failed API attempt";
}

// Every line has exactly one outcome: it produced events, or it was dropped for one reason.
// The duplicates are the streamed copies of a message (the same message.id seen on an
// earlier line, usage unchanged); the synthetic ones the <synthetic> messages that are not
// API errors; nothing is of an unknown type or invalid; the rest is ignored.
TEST(ClaudeCodeRecordedTest, EveryLineIsCountedOnceAndDropsHaveTheirReason) {
  Feeder feed;
  std::set<std::string> seen;
  std::uint64_t lines = 0, with_events = 0, duplicates = 0, synthetic = 0;
  std::uint64_t ino = 1;
  for (const FileLines& f : Recording()) {
    for (const std::string& line : f.lines) {
      ++lines;
      if (!feed.Line(line, ino, f.path.string()).empty()) ++with_events;
      const auto j = nlohmann::json::parse(line);
      if (j.value("type", "") != "assistant") continue;
      const auto& m = j["message"];
      if (m.value("model", "") == "<synthetic>") {
        synthetic += !j.value("isApiErrorMessage", false);
      } else if (!seen.insert(m["id"].get<std::string>()).second) {
        ++duplicates;
      }
    }
    ++ino;
  }
  std::uint64_t dropped = 0;
  for (std::uint64_t d : feed.dropped) dropped += d;
  EXPECT_EQ(with_events + dropped + feed.invalid, lines);
  EXPECT_EQ(feed.invalid, 0u);
  EXPECT_EQ(feed.Dropped(DropReason::kUnknownType), 0u);
  EXPECT_EQ(feed.Dropped(DropReason::kDuplicate), duplicates);
  EXPECT_EQ(feed.Dropped(DropReason::kSynthetic), synthetic);
  EXPECT_GE(duplicates, 1u);
  std::cout << "claude_code recording: " << lines << " lines, " << with_events << " with events, "
            << feed.Dropped(DropReason::kIgnored) << " ignored, " << duplicates
            << " duplicates, " << synthetic << " synthetic\n";
}

// What the metrics show: the mapper's events through the real pipeline (EventMapper,
// registry) with prices configured equal the truth, priced with the same prices: calls by
// model and status, tokens by direction (cache read and creation apart), cost by model,
// tool calls by tool and status, runs by status.
TEST(ClaudeCodeRecordedTest, MetricsThroughThePipelineEqualWhatTheApiSent) {
  const nlohmann::json truth = Truth();
  Config config = Config::Defaults();
  config.pricing = {{"claude-sonnet-4*", 3, 15, 0.30, 3.75}, {"claude-haiku-*", 1, 5, 0.10, 1.25}};
  MapperLimits limits = testing::TestLimits();
  limits.pricing = config.pricing;
  Feeder feed(limits);
  std::uint64_t ino = 1;
  for (const FileLines& f : Recording()) {
    for (const std::string& line : f.lines) feed.Line(line, ino, f.path.string());
    ++ino;
  }
  std::vector<std::string_view> lines;
  for (std::size_t at = 0; at < feed.raw.size();) {
    const std::size_t nl = feed.raw.find('\n', at);
    lines.push_back(std::string_view(feed.raw).substr(at, nl - at));
    at = nl + 1;
  }
  Registry registry;
  TaskWindows windows(registry, config.registry.window);
  Pipeline pipeline(registry, windows, config, nullptr);
  const BatchResult r = pipeline.Apply(Source::kFile, lines);
  ASSERT_EQ(r.accepted, lines.size());

  // family{label values but agent_id} -> value, summed over agents.
  std::map<std::string, double> got;
  const Snapshot s = registry.Collect();
  for (const char* family : {"agent_llm_calls_total", "agent_tokens_consumed_total",
                             "agent_cost_usd_total", "agent_tool_calls_total",
                             "agent_requests_total"}) {
    const FamilySnapshot* fam = s.Find(family);
    ASSERT_NE(fam, nullptr) << family;
    for (const SeriesSnapshot& series : fam->series) {
      std::string key = std::string(family) + "{";
      for (std::size_t i = 1; i < series.label_values.size(); ++i) key += series.label_values[i] + ",";
      got[key + "}"] += series.value;
    }
  }

  std::map<std::string, double> want;
  const Totals t = Expected(truth);
  for (const auto& [k, n] : t.calls) want["agent_llm_calls_total{" + k.first + "," + k.second + ",}"] += n;
  for (const auto& [k, n] : t.tokens) {
    want["agent_tokens_consumed_total{" + k.first + "," + k.second + ",}"] += n;
  }
  for (const auto& [k, n] : t.tools) want["agent_tool_calls_total{" + k.first + "," + k.second + ",}"] += n;
  for (const auto& [k, n] : t.runs) want["agent_requests_total{" + k + ",}"] += n;
  for (const auto& resp : truth["responses"]) {
    const auto& u = resp["usage"];
    const std::string model = resp["model"];
    const ModelPrice* p = FindPrice(config.pricing, model);
    ASSERT_NE(p, nullptr) << model;
    want["agent_cost_usd_total{" + model + ",}"] +=
        PriceTokens(*p, u["input_tokens"].get<double>(), u["output_tokens"].get<double>(),
                    u["cache_read_input_tokens"].get<double>(),
                    u["cache_creation_input_tokens"].get<double>());
  }
  // The failed calls carry no tokens: their cost series is 0 (the series exists).
  for (auto& [k, v] : got) {
    if (k.starts_with("agent_cost_usd_total{") && !want.contains(k)) want[k] = 0;
  }
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [k, v] : want) {
    ASSERT_TRUE(got.contains(k)) << k;
    EXPECT_NEAR(got[k], v, 1e-9 * std::max(1.0, v)) << k;
  }
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
