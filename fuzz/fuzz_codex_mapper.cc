// Fuzz target: agx::transcript::CodexMapper on the input as transcript lines ('\n'
// separated; a line starting with byte 0x01 belongs to a second rollout file, the others to
// the first). Beyond "no crash, no sanitizer report":
// - every event line it writes is accepted by the native EventParser (an event the pipeline
//   would reject would silently lose what the line counted);
// - each line is counted once: it produced events, or one drop reason, or invalid;
// - the maps stay within MapperLimits;
// - Save() is one line, and a mapper loaded from it saves the same text;
// - splitting the input at its middle line, with Save/Load in between, maps the same events.
// Small bounds make the eviction paths run.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "ingest/agent_event.h"
#include "ingest/event_parser.h"
#include "transcript/codex_mapper.h"

namespace {

using agx::transcript::CodexMapper;
using agx::transcript::MapOutput;
using agx::transcript::MapperLimits;

MapperLimits Limits() {
  MapperLimits l;
  l.agent_id = "codex-{project}";
  l.max_pending_tools = 4;
  l.max_files = 1;
  l.label_value_max_bytes = 16;
  return l;
}

// Maps lines [from, to) and returns the events written.
std::string Map(CodexMapper& m, const std::vector<std::string_view>& lines, std::size_t from,
                std::size_t to) {
  std::string all;
  for (std::size_t i = from; i < to; ++i) {
    std::string_view line = lines[i];
    const bool second = !line.empty() && line[0] == '\x01';
    if (second) line.remove_prefix(1);
    std::string events;
    MapOutput out;
    out.lines = &events;
    m.MapLine({1, second ? 2u : 1u, second ? "/s/rollout-b.jsonl" : "/s/rollout-a.jsonl"}, line,
              &out);
    std::uint64_t outcomes = out.invalid;
    for (std::uint64_t d : out.dropped) outcomes += d;
    AGX_FUZZ_CHECK(outcomes + (events.empty() ? 0 : 1) == 1, "each line has one outcome");
    AGX_FUZZ_CHECK(m.Entries() <= 1 + 4, "the maps stay within their limits");
    all += events;
  }
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= input.size();) {
    std::size_t nl = input.find('\n', start);
    if (nl == std::string_view::npos) nl = input.size();
    lines.push_back(input.substr(start, nl - start));
    start = nl + 1;
  }

  CodexMapper whole(Limits());
  const std::string events = Map(whole, lines, 0, lines.size());
  static agx::EventParser parser;
  for (std::size_t start = 0; start < events.size();) {
    const std::size_t nl = events.find('\n', start);
    AGX_FUZZ_CHECK(nl != std::string::npos, "event lines end with a newline");
    agx::AgentEvent e;
    const agx::ParseError err = parser.Parse(std::string_view(events).substr(start, nl - start), &e);
    if (err.reason != agx::RejectReason::kNone) {
      std::fprintf(stderr, "rejected: %.*s\n", static_cast<int>(err.detail.size()), err.detail.data());
    }
    AGX_FUZZ_CHECK(err.reason == agx::RejectReason::kNone, "the native parser accepts every event");
    start = nl + 1;
  }

  const std::string saved = whole.Save();
  AGX_FUZZ_CHECK(saved.find('\n') == std::string::npos, "the state is one line");
  CodexMapper loaded(Limits());
  AGX_FUZZ_CHECK(loaded.Load(saved).ok(), "a saved state loads");
  AGX_FUZZ_CHECK(loaded.Save() == saved, "a loaded state saves the same");

  const std::size_t mid = lines.size() / 2;
  CodexMapper first(Limits());
  std::string split = Map(first, lines, 0, mid);
  CodexMapper second(Limits());
  AGX_FUZZ_CHECK(second.Load(first.Save()).ok(), "a saved state loads");
  split += Map(second, lines, mid, lines.size());
  AGX_FUZZ_CHECK(split == events, "Save/Load in the middle maps the same events");
  return 0;
}
