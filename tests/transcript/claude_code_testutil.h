#pragma once
// Test helpers for the Claude Code mapper: feed lines, check every produced event with the
// real native EventParser (an event the pipeline would reject is a test failure), and sum
// the events the way the metrics do (calls by model and status, tokens by model and
// direction, tool calls by tool and status, runs by status).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "ingest/event_parser.h"
#include "transcript/claude_code_mapper.h"

namespace agx::transcript::testing {

struct Totals {
  std::map<std::pair<std::string, std::string>, int> calls;       // (model, status)
  std::map<std::pair<std::string, std::string>, double> tokens;   // (model, direction)
  std::map<std::pair<std::string, std::string>, int> tools;       // (tool, status)
  std::map<std::string, int> runs;                                // status
  std::map<std::string, double> cost;                             // model (usage events)
  bool operator==(const Totals&) const = default;
};

inline void PrintTo(const Totals& t, std::ostream* os) {
  for (const auto& [k, v] : t.calls) *os << "call " << k.first << "/" << k.second << "=" << v << " ";
  for (const auto& [k, v] : t.tokens) *os << "tok " << k.first << "/" << k.second << "=" << v << " ";
  for (const auto& [k, v] : t.tools) *os << "tool " << k.first << "/" << k.second << "=" << v << " ";
  for (const auto& [k, v] : t.runs) *os << "run " << k << "=" << v << " ";
}

inline MapperLimits TestLimits() {
  MapperLimits l;
  l.agent_id = "cc-{project}";
  l.pricing = {{"claude-sonnet-4*", 3, 15, 0.30, 3.75}};
  return l;
}

/// Maps lines and keeps every event (as JSON) and the drop/invalid counts.
class Feeder {
 public:
  explicit Feeder(MapperLimits limits = TestLimits()) : mapper(std::move(limits)) {}

  /// Maps one line of file (dev 1, `ino`) and returns the events it produced.
  std::vector<nlohmann::json> Line(const std::string& line, std::uint64_t ino = 1,
                                   std::string_view path = "/p/-x/s.jsonl") {
    std::string lines;
    MapOutput out;
    out.lines = &lines;
    mapper.MapLine({1, ino, path}, line, &out);
    for (std::size_t i = 0; i < kDropReasonCount; ++i) dropped[i] += out.dropped[i];
    invalid += out.invalid;
    std::vector<nlohmann::json> produced;
    std::size_t start = 0;
    while (start < lines.size()) {
      const std::size_t nl = lines.find('\n', start);
      const std::string_view ev(lines.data() + start, nl - start);
      AgentEvent e;
      const ParseError err = parser_.Parse(ev, &e);
      EXPECT_EQ(err.reason, RejectReason::kNone) << err.detail << " in " << ev;
      produced.push_back(nlohmann::json::parse(ev));
      start = nl + 1;
    }
    for (const auto& e : produced) events.push_back(e);
    raw += lines;
    return produced;
  }

  std::uint64_t Dropped(DropReason r) const { return dropped[static_cast<std::size_t>(r)]; }

  ClaudeCodeMapper mapper;
  std::vector<nlohmann::json> events;
  std::string raw;  // every event line, in order
  std::uint64_t dropped[kDropReasonCount] = {};
  std::uint64_t invalid = 0;

 private:
  EventParser parser_;
};

inline Totals Sum(const std::vector<nlohmann::json>& events) {
  Totals t;
  for (const auto& e : events) {
    const std::string type = e["type"];
    if (type == "llm_call" || type == "usage") {
      const std::string model = e["model"];
      if (type == "llm_call") ++t.calls[{model, e.value("status", "success")}];
      for (const char* d : {"input", "output", "cache_read", "cache_creation"}) {
        const std::string key = std::string(d) + "_tokens";
        if (e.contains(key) && e[key].get<double>() > 0) t.tokens[{model, d}] += e[key].get<double>();
      }
      if (type == "usage" && e.contains("cost_usd")) t.cost[model] += e["cost_usd"].get<double>();
    } else if (type == "tool_call") {
      ++t.tools[{e["tool_name"], e["status"]}];
    } else if (type == "run") {
      ++t.runs[e["status"]];
    }
  }
  return t;
}

/// The .jsonl files under `dir`, sorted (parent sessions before their subagents/ folder).
inline std::vector<std::filesystem::path> TranscriptFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".jsonl") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

inline std::vector<std::string> ReadLines(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

}  // namespace agx::transcript::testing
