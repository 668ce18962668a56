// The Codex mapper on transcripts written by the real Codex CLI, run offline against a fake
// Responses API that recorded what it sent (tests/transcripts/codex/, record.py): every count
// must equal that truth exactly, and the cost the pipeline prices from the mapped events must
// equal the cost of the tokens the API sent. AGX_CODEX_RECORDING names another recording
// folder (the live test, codex_live_test.py, records a fresh one and points here).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingest/pipeline.h"
#include "registry/registry.h"
#include "registry/sliding_window.h"
#include "transcript/codex_mapper.h"
#include "transcript/codex_test_util.h"

namespace agx::transcript {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Mapped;
using testing::Totals;

fs::path RecordingDir() {
  if (const char* dir = std::getenv("AGX_CODEX_RECORDING"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return fs::path(AGX_SOURCE_DIR) / "tests/transcripts/codex/recorded/0.171.0";
}

json Truth() {
  std::ifstream in(RecordingDir() / "truth.json");
  EXPECT_TRUE(in.good()) << "no truth.json in " << RecordingDir();
  return in.good() ? json::parse(in) : json::object();
}

struct File {
  std::string path;
  std::vector<std::string> lines;
};

/// The session files in the order Codex started them (truth.json "sessions"): the order of
/// the API's requests, so the llm_call events come in the order of truth "responses".
std::vector<File> Recording(const json& truth) {
  std::vector<File> files;
  for (const auto& rel : truth.value("sessions", json::array())) {
    const fs::path p = RecordingDir() / rel.get<std::string>();
    files.push_back({p.string(), testing::ReadLines(p.string())});
    EXPECT_FALSE(files.back().lines.empty()) << p;
  }
  return files;
}

/// Maps the recording with one mapper (file i has inode i+1).
Mapped MapAll(CodexMapper& mapper, const std::vector<File>& files) {
  Mapped m;
  for (std::size_t i = 0; i < files.size(); ++i) {
    testing::MapLines(mapper, files[i].lines, &m, i + 1);
  }
  return m;
}

/// The truth's aggregates, as the metrics key them.
Totals Expected(const json& truth) {
  Totals t;
  for (const auto& [k, v] : truth["llm_calls"].items()) t.llm_calls[k] = v;
  for (const auto& [k, v] : truth["tokens"].items()) t.tokens[k] = v;
  for (const auto& [k, v] : truth["tool_calls"].items()) t.tool_calls[k] = v;
  for (const auto& [k, v] : truth["runs"].items()) t.runs[k] = v;
  t.run_steps = truth["run_steps"];
  t.run_tool_calls = truth["run_tool_calls"];
  return t;
}

// The truth file is consistent with itself: its token sums are those of its responses under
// OpenAI's arithmetic (input includes cached and cache-write tokens, output includes
// reasoning), and its tool sums those of the calls the responses asked for.
TEST(CodexRecordedTest, TruthAddsUp) {
  const json truth = Truth();
  ASSERT_TRUE(truth.contains("responses"));
  std::map<std::string, std::uint64_t> tokens, tools;
  std::uint64_t reasoning = 0, cached = 0;
  for (const auto& r : truth["responses"]) {
    const std::string model = r["model"];
    const json& u = r["usage"];
    const std::uint64_t in = u["input"], c = u["cached"], w = u["cache_write"];
    tokens[model + "|input"] += in - c - w;
    tokens[model + "|cache_read"] += c;
    if (w > 0) tokens[model + "|cache_creation"] += w;
    tokens[model + "|output"] += u["output"].get<std::uint64_t>();
    reasoning += u["reasoning"].get<std::uint64_t>();
    cached += c;
    for (const auto& c : r["tool_calls"]) {
      ++tools[c["name"].get<std::string>() + (c["failed"].get<bool>() ? "|failure" : "|success")];
    }
  }
  EXPECT_EQ(tokens, Expected(truth).tokens);
  EXPECT_EQ(tools, Expected(truth).tool_calls);
  // The scenario exercises what the brief needs: reasoning and cached tokens, a cache write,
  // failing tools, an API failure, an interrupted turn, more than one turn and session.
  EXPECT_GT(reasoning, 0u);
  EXPECT_GT(cached, 0u);
  EXPECT_GT(Expected(truth).tokens.count("gpt-6.2-sol|cache_creation"), 0u);
  EXPECT_GE(Expected(truth).runs["failure"], 1u);
  EXPECT_GE(Expected(truth).runs["success"], 2u);
  std::size_t aborted = 0;  // the interrupted turn, which is no run
  for (const File& f : Recording(truth)) {
    for (const std::string& line : f.lines) aborted += line.find("\"turn_aborted\"") != std::string::npos;
  }
  EXPECT_GE(aborted, 1u);
  std::uint64_t failed_tools = 0;
  for (const auto& [k, v] : tools) {
    if (k.ends_with("|failure")) failed_tools += v;
  }
  EXPECT_GE(failed_tools, 3u);
  EXPECT_GE(truth["sessions"].size(), 2u);
}

// What Codex wrote for each response (its token_usage_record) is what the API sent:
// reasoning tokens inside output, cached tokens inside input.
TEST(CodexRecordedTest, CodexRecordsTheUsageTheApiSent) {
  const json truth = Truth();
  std::map<std::string, json> sent;
  for (const auto& r : truth["responses"]) sent[r["response_id"]] = r["usage"];
  std::size_t records = 0;
  for (const File& f : Recording(truth)) {
    for (const std::string& line : f.lines) {
      const json j = json::parse(line);
      if (j["type"] != "token_usage_record") continue;
      ++records;
      const json& p = j["payload"];
      ASSERT_TRUE(sent.count(p["response_id"])) << line.substr(0, 300);
      const json& want = sent[p["response_id"]];
      const json& got = p["usage"];
      EXPECT_EQ(got["input_tokens"], want["input"]);
      EXPECT_EQ(got["cached_input_tokens"], want["cached"]);
      EXPECT_EQ(got["cache_write_input_tokens"], want["cache_write"]);
      EXPECT_EQ(got["output_tokens"], want["output"]);
      EXPECT_EQ(got["reasoning_output_tokens"], want["reasoning"]);
    }
  }
  EXPECT_EQ(records, truth["responses"].size());
}

TEST(CodexRecordedTest, CountsEqualWhatTheApiSent) {
  const json truth = Truth();
  const auto files = Recording(truth);
  ASSERT_GE(files.size(), 2u);
  CodexMapper mapper(testing::DefaultLimits());
  const Mapped m = MapAll(mapper, files);
  EXPECT_EQ(m.invalid, 0u);
  EXPECT_EQ(m.Dropped(DropReason::kUnknownType), 0u) << "a line type this mapper does not know";
  const Totals got = testing::Sum(m.events);
  const Totals want = Expected(truth);
  EXPECT_EQ(got, want) << "mapped:\n" << testing::Describe(got) << "truth:\n"
                       << testing::Describe(want);

  // Each successful llm_call is the response the API sent, in order, with its model and a
  // latency of at least the time the fake server waited.
  std::vector<json> calls;
  for (const json& e : m.events) {
    if (e["type"] == "llm_call" && e["status"] == "success") calls.push_back(e);
  }
  ASSERT_EQ(calls.size(), truth["responses"].size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const json& r = truth["responses"][i];
    SCOPED_TRACE(r.dump());
    const json& u = r["usage"];
    EXPECT_EQ(calls[i]["model"], r["model"]);
    EXPECT_EQ(calls[i]["input_tokens"].get<std::uint64_t>(),
              u["input"].get<std::uint64_t>() - u["cached"].get<std::uint64_t>() -
                  u["cache_write"].get<std::uint64_t>());
    EXPECT_EQ(calls[i]["cache_read_tokens"], u["cached"]);
    EXPECT_EQ(calls[i]["output_tokens"], u["output"]);
    ASSERT_TRUE(calls[i].contains("duration_ms"));
    EXPECT_GE(calls[i]["duration_ms"].get<double>(), r["delay_ms"].get<double>());
  }
  // Agents by project (the cwd of each session).
  std::map<std::string, int> agents;
  for (const json& e : m.events) ++agents[e["agent_id"]];
  EXPECT_EQ(agents.size(), 2u);
  EXPECT_TRUE(agents.count("codex-proj-alpha"));
  EXPECT_TRUE(agents.count("codex-proj-beta"));
}

// The mapped events through the real pipeline, priced by a pricing table: the cost per
// model equals the price of the tokens the API sent.
TEST(CodexRecordedTest, PipelineCostEqualsThePriceOfTheTokensSent) {
  const json truth = Truth();
  CodexMapper mapper(testing::DefaultLimits());
  const Mapped m = MapAll(mapper, Recording(truth));

  Config config = Config::Defaults();
  config.pricing = {{"gpt-6.2-sol", 1.25, 10, 0.125, 1.5}, {"gpt-5*", 2, 16, 0.2, 2.5}};
  Registry registry;
  TaskWindows windows(registry, config.registry.window);
  Pipeline pipeline(registry, windows, config, nullptr);
  std::vector<std::string> lines;
  for (const json& e : m.events) lines.push_back(e.dump());
  std::vector<std::string_view> views(lines.begin(), lines.end());
  const BatchResult r = pipeline.Apply(Source::kFile, views);
  ASSERT_EQ(r.accepted, lines.size()) << "the pipeline refused a mapped event";

  std::map<std::string, double> want;  // USD per model, from the API's own usage
  for (const auto& resp : truth["responses"]) {
    const std::string model = resp["model"];
    const ModelPrice* p = FindPrice(config.pricing, model);
    ASSERT_NE(p, nullptr) << model;
    const json& u = resp["usage"];
    const double cached = u["cached"], write = u["cache_write"];
    want[model] += ((u["input"].get<double>() - cached - write) * p->input +
                    u["output"].get<double>() * p->output + cached * p->cache_read +
                    write * p->cache_write) / 1e6;
  }
  std::map<std::string, double> got;
  std::map<std::string, double> calls;
  const Snapshot s = registry.Collect();
  if (const FamilySnapshot* f = s.Find("agent_cost_usd_total")) {
    for (const SeriesSnapshot& series : f->series) got[series.label_values.back()] += series.value;
  }
  if (const FamilySnapshot* f = s.Find("agent_llm_calls_total")) {
    for (const SeriesSnapshot& series : f->series) {
      calls[series.label_values[1] + "|" + series.label_values[2]] += series.value;
    }
  }
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [model, usd] : want) {
    SCOPED_TRACE(model);
    EXPECT_GT(usd, 0);
    EXPECT_NEAR(got[model], usd, 1e-12);
  }
  for (const auto& [k, v] : truth["llm_calls"].items()) {
    EXPECT_EQ(calls[k], v.get<double>()) << k;
  }
}

// A fresh mapper loaded from Save() maps the remaining lines exactly as the original: split
// the recording at every line boundary.
TEST(CodexRecordedTest, SaveLoadAtEveryLineMapsTheSame) {
  const json truth = Truth();
  const auto files = Recording(truth);
  struct At {
    std::size_t file;
    const std::string* line;
  };
  std::vector<At> all;
  for (std::size_t i = 0; i < files.size(); ++i) {
    for (const std::string& l : files[i].lines) all.push_back({i, &l});
  }
  auto map_range = [&](CodexMapper& mapper, std::size_t from, std::size_t to, Mapped* m) {
    for (std::size_t i = from; i < to; ++i) {
      testing::MapLines(mapper, {*all[i].line}, m, all[i].file + 1);
    }
  };
  CodexMapper whole_mapper(testing::DefaultLimits());
  Mapped whole;
  map_range(whole_mapper, 0, all.size(), &whole);
  ASSERT_FALSE(whole.text.empty());
  for (std::size_t split = 0; split <= all.size(); ++split) {
    SCOPED_TRACE(split);
    CodexMapper before(testing::DefaultLimits());
    Mapped m;
    map_range(before, 0, split, &m);
    const std::string saved = before.Save();
    ASSERT_EQ(saved.find('\n'), std::string::npos);
    CodexMapper after(testing::DefaultLimits());
    ASSERT_TRUE(after.Load(saved).ok());
    ASSERT_EQ(after.Save(), saved);
    map_range(after, split, all.size(), &m);
    ASSERT_EQ(m.text, whole.text);
    for (std::size_t r = 0; r < kDropReasonCount; ++r) ASSERT_EQ(m.dropped[r], whole.dropped[r]);
    ASSERT_EQ(m.invalid, whole.invalid);
  }
}

}  // namespace
}  // namespace agx::transcript
