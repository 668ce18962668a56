#include "transcript/codex_test_util.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace agx::transcript::testing {

void MapLines(TranscriptMapper& mapper, const std::vector<std::string>& lines, Mapped* m,
              std::uint64_t ino) {
  FileContext file{1, ino, "rollout.jsonl"};
  for (const std::string& line : lines) {
    std::string text;
    MapOutput out;
    out.lines = &text;
    mapper.MapLine(file, line, &out);
    for (std::size_t i = 0; i < kDropReasonCount; ++i) m->dropped[i] += out.dropped[i];
    m->invalid += out.invalid;
    m->text += text;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) m->events.push_back(nlohmann::json::parse(l));
  }
}

Totals Sum(const std::vector<nlohmann::json>& events) {
  Totals t;
  for (const auto& e : events) {
    const std::string type = e.at("type");
    if (type == "llm_call") {
      const std::string model = e.at("model");
      ++t.llm_calls[model + "|" + e.value("status", std::string("success"))];
      for (const char* d : {"input", "output", "cache_read", "cache_creation"}) {
        const std::string f = std::string(d) + "_tokens";
        if (e.contains(f)) t.tokens[model + "|" + d] += e.at(f).get<std::uint64_t>();
      }
    } else if (type == "tool_call") {
      ++t.tool_calls[e.at("tool_name").get<std::string>() + "|" + e.at("status").get<std::string>()];
    } else if (type == "run") {
      ++t.runs[e.at("status").get<std::string>()];
      t.run_steps += e.value("steps", 0);
      t.run_tool_calls += e.value("tool_calls", 0);
    }
  }
  return t;
}

std::string Describe(const Totals& t) {
  std::ostringstream o;
  auto dump = [&](const char* name, const std::map<std::string, std::uint64_t>& m) {
    o << name << ":";
    for (const auto& [k, v] : m) o << " " << k << "=" << v;
    o << "\n";
  };
  dump("llm_calls", t.llm_calls);
  dump("tokens", t.tokens);
  dump("tool_calls", t.tool_calls);
  dump("runs", t.runs);
  o << "run steps=" << t.run_steps << " run tool_calls=" << t.run_tool_calls << "\n";
  return o.str();
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

MapperLimits DefaultLimits() {
  MapperLimits l;
  l.agent_id = "codex-{project}";
  return l;
}

std::string Line(std::string_view type, const nlohmann::json& payload, int ts_ms) {
  char ts[64];
  const int s = ts_ms / 1000, ms = ts_ms % 1000;
  std::snprintf(ts, sizeof ts, "2026-12-08T%02d:%02d:%02d.%03dZ", s / 3600 % 24, s / 60 % 60,
                s % 60, ms);
  nlohmann::json j = {{"timestamp", ts}, {"type", type}, {"payload", payload}};
  return j.dump();
}

nlohmann::json Usage(std::uint64_t input, std::uint64_t cached, std::uint64_t output,
                     std::uint64_t reasoning, std::uint64_t cache_write) {
  return {{"input_tokens", input},         {"cached_input_tokens", cached},
          {"cache_write_input_tokens", cache_write}, {"output_tokens", output},
          {"reasoning_output_tokens", reasoning},    {"total_tokens", input + output}};
}

}  // namespace agx::transcript::testing
