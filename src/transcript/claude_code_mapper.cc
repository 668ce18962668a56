#include "transcript/claude_code_mapper.h"

#include <algorithm>
#include <cstdint>

#include "common/utf8.h"
#include "config/config.h"
#include "ingest/native_line.h"

// The rules, checked against Claude Code 2.1.337 run offline against a fake API that
// recorded what it sent (tests/transcripts/claude_code/; docs/transcripts.md):
// - each line of one streamed message carries the message's final usage and stop_reason,
//   and its lines are not contiguous (tool results sit between them): the first sighting
//   of an id is the call, a later one only counts growth (older releases streamed growing
//   usage);
// - every API attempt writes an `api-request` line (with params.model) before it; a failed
//   attempt that is retried writes system/api_error; the last failed attempt writes only
//   the <synthetic> isApiErrorMessage line. So one failed llm_call per api_error line and
//   per API error message, and the model latency is measured from the attempt's
//   api-request line (within tens of ms of the fake server's delays: the CLI stamps that
//   line a little after the request leaves; the parent line also includes the CLI's own
//   work and the retries).

namespace agx::transcript {
namespace {

using claude::FileState;
using claude::Key;
using claude::KeyDomain;
using claude::LineType;

// Native maxima (docs/events.md): larger values would reject the whole event.
constexpr double kMaxTokens = 1e9;
constexpr std::uint32_t kMaxCount = 1000000;
constexpr std::uint64_t kMaxDurationNs = 365ULL * 86400 * 1000000000;
// A model call longer than this is not a latency but a gap (a resumed session, a clock
// change): no duration then.
constexpr std::uint64_t kMaxCallNs = 3600ULL * 1000000000;

constexpr std::string_view kSynthetic = "<synthetic>";

double DurationMs(std::uint64_t from_ns, std::uint64_t to_ns, std::uint64_t max_ns) {
  if (from_ns == 0 || to_ns == 0 || to_ns < from_ns || to_ns - from_ns > max_ns) return -1;
  return static_cast<double>(to_ns - from_ns) / 1e6;
}

// A stop_reason that ends the turn: the model is done (end_turn, stop_sequence, max_tokens,
// refusal, ...). tool_use (tools to run) and pause_turn (a server tool paused the turn, the
// client continues it) do not; null/absent means still streaming (older releases).
bool IsFinal(std::string_view stop_reason) {
  return !stop_reason.empty() && stop_reason != "tool_use" && stop_reason != "pause_turn";
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  return s;
}

bool IsInterrupt(std::string_view text) {
  return TrimLeft(text).starts_with("[Request interrupted by user");
}

// Text Claude Code writes as a user line that nobody typed to the model: output of local
// commands (/model, /cost, ...), bash mode, interrupt markers. A slash command itself
// (<command-name>) is a prompt: when it makes the model work, that is a run; when it does
// not (/clear), no final message answers it and the next prompt replaces the open turn.
bool IsLocalMarker(std::string_view text) {
  text = TrimLeft(text);
  return text.starts_with("<local-command-") || text.starts_with("<bash-") ||
         text.starts_with("<task-notification>") || text.starts_with("[Request interrupted");
}

std::string_view LastComponent(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::uint32_t Tokens(double v) {
  return v < 0 ? 0 : static_cast<std::uint32_t>(std::min(v, kMaxTokens));
}

void Drop(MapOutput* out, DropReason r) { ++out->dropped[static_cast<std::size_t>(r)]; }

}  // namespace

ClaudeCodeMapper::ClaudeCodeMapper(MapperLimits limits)
    : limits_(std::move(limits)),
      per_project_(limits_.agent_id.find("{project}") != std::string::npos),
      state_(limits_.max_messages, limits_.max_pending_tools, limits_.max_files) {}

std::string_view ClaudeCodeMapper::Label(std::string_view s) const {
  s = TruncateUtf8(s, limits_.label_value_max_bytes);
  return s.empty() ? std::string_view("unknown") : s;
}

std::string_view ClaudeCodeMapper::Agent(const FileState& f) {
  if (!per_project_) {
    if (limits_.agent_id.empty()) return "unknown";
    return limits_.agent_id;  // (a ?: of a literal and the string would return a temporary)
  }
  agent_.clear();
  std::string_view t = limits_.agent_id;
  for (std::size_t at; (at = t.find("{project}")) != std::string_view::npos;) {
    agent_.append(t.substr(0, at));
    agent_.append(f.project.empty() ? std::string_view("unknown") : f.project);
    t.remove_prefix(at + 9);
  }
  agent_.append(t);
  return agent_;
}

void ClaudeCodeMapper::MapLine(const FileContext& file, std::string_view line, MapOutput* out) {
  if (!parser_.Parse(line, &line_)) {
    ++out->invalid;
    return;
  }
  switch (line_.type) {
    case LineType::kKnownOther:
      return Drop(out, DropReason::kIgnored);
    case LineType::kUnknown:
      return Drop(out, DropReason::kUnknownType);
    default:
      break;
  }
  FileState& f = state_.File({file.dev, file.ino});
  if (per_project_ && !line_.cwd.empty()) {
    // The project of the file's events: lines without a cwd (api-request) use the last one.
    const std::string_view p = TruncateUtf8(LastComponent(line_.cwd), limits_.label_value_max_bytes);
    if (p != f.project) f.project.assign(p);
  }
  // Sub-agent files (and, in older releases, sidechain copies in the parent file) never
  // open or end turns: a sub-agent is a tool call of the parent's run.
  const bool in_subagent_file = file.path.find("/subagents/") != std::string_view::npos;
  const bool sidechain = line_.is_sidechain || in_subagent_file;
  Outcome o = Outcome::kIgnored;
  switch (line_.type) {
    case LineType::kApiRequest:
      f.request_open = true;
      f.request_ns = line_.ts_ns;
      if (!line_.request_model.empty()) f.model.assign(Label(line_.request_model));
      break;
    case LineType::kSystem:
      o = MapSystem(f, out);
      break;
    case LineType::kAssistant:
      o = MapAssistant(f, sidechain, line_.is_sidechain && !in_subagent_file, out);
      break;
    case LineType::kUser:
      o = MapUser(f, sidechain, out);
      break;
    default:
      break;
  }
  switch (o) {
    case Outcome::kEvent:
      break;
    case Outcome::kIgnored:
      Drop(out, DropReason::kIgnored);
      break;
    case Outcome::kDuplicate:
      Drop(out, DropReason::kDuplicate);
      break;
    case Outcome::kSynthetic:
      Drop(out, DropReason::kSynthetic);
      break;
  }
}

void ClaudeCodeMapper::EmitFailedCall(FileState& f, MapOutput* out) {
  NativeLine e(out->lines, "llm_call");
  e.Str("agent_id", Agent(f)).Str("model", f.model.empty() ? "unknown" : f.model);
  e.Str("status", "failure");
  if (f.request_open) {
    const double ms = DurationMs(f.request_ns, line_.ts_ns, kMaxCallNs);
    if (ms >= 0) e.Num("duration_ms", ms);
  }
  e.Time("ts", line_.ts_ns).End();
  f.request_open = false;
}

void ClaudeCodeMapper::EndTurn(FileState& f, bool success, MapOutput* out) {
  NativeLine e(out->lines, "run");
  e.Str("agent_id", Agent(f)).Str("status", success ? "success" : "failure");
  const double ms = DurationMs(f.prompt_ns, line_.ts_ns, kMaxDurationNs);
  if (ms >= 0) e.Num("duration_ms", ms);
  e.Num("steps", std::min(f.steps, kMaxCount)).Num("tool_calls", std::min(f.tool_calls, kMaxCount));
  e.Time("ts", line_.ts_ns).End();
  f.turn_open = false;
}

// A retried API error: one failed attempt.
ClaudeCodeMapper::Outcome ClaudeCodeMapper::MapSystem(FileState& f, MapOutput* out) {
  if (!line_.api_error_subtype) return Outcome::kIgnored;
  if (!line_.uuid.empty()) {
    const Key k = claude::HashKey(line_.uuid, KeyDomain::kLineUuid);
    if (state_.messages.Find(k) != nullptr) return Outcome::kDuplicate;
    state_.messages.Insert(k, {{}, claude::kMessageApiError});
  }
  EmitFailedCall(f, out);
  return Outcome::kEvent;
}

// The API error message the CLI writes when it gives up (model <synthetic>): the last
// failed attempt, when an HTTP answer came (apiErrorStatus) or an api-request line is
// unanswered; and the end of the open turn, as a failure.
ClaudeCodeMapper::Outcome ClaudeCodeMapper::MapApiError(FileState& f, bool sidechain,
                                                        MapOutput* out) {
  const std::string_view id = line_.message_id.empty() ? line_.uuid : line_.message_id;
  if (!id.empty()) {
    const Key k = claude::HashKey(id, KeyDomain::kMessage);
    if (state_.messages.Find(k) != nullptr) return Outcome::kDuplicate;
    state_.messages.Insert(k, {{}, claude::kMessageApiError | claude::kMessageEndedTurn});
  }
  bool produced = false;
  if (line_.has_api_error_status || f.request_open) {
    EmitFailedCall(f, out);
    produced = true;
  }
  if (!sidechain && f.turn_open) {
    EndTurn(f, false, out);
    produced = true;
  }
  return produced ? Outcome::kEvent : Outcome::kSynthetic;
}

ClaudeCodeMapper::Outcome ClaudeCodeMapper::MapAssistant(FileState& f, bool sidechain,
                                                         bool copied, MapOutput* out) {
  if (line_.is_api_error) return MapApiError(f, sidechain, out);
  if (line_.model == kSynthetic) return Outcome::kSynthetic;
  Outcome o = Outcome::kIgnored;
  // Tools asked for: remembered once (every streamed copy of the message repeats them).
  for (const claude::ToolUse& t : line_.tool_uses) {
    if (state_.tools.Find(t.id) == nullptr) {
      state_.tools.Insert(t.id, {line_.ts_ns, std::string(Label(t.name)), false});
    }
  }
  if (line_.message_id.empty() || !line_.has_usage) return o;
  const std::string_view model = Label(line_.model);
  const claude::Usage& u = line_.usage;
  const double fields[4] = {u.input, u.output, u.cache_read, u.cache_creation};
  static constexpr std::string_view kNames[4] = {"input_tokens", "output_tokens",
                                                 "cache_read_tokens", "cache_creation_tokens"};
  const Key k = claude::HashKey(line_.message_id, KeyDomain::kMessage);
  claude::MessageEntry* m = state_.messages.Find(k);
  if (m == nullptr) {
    m = &state_.messages.Insert(k, {});
    NativeLine e(out->lines, "llm_call");
    e.Str("agent_id", Agent(f)).Str("model", model);
    for (int i = 0; i < 4; ++i) {
      if (fields[i] < 0) continue;
      m->counted[i] = Tokens(fields[i]);
      e.Num(kNames[i], m->counted[i]);
    }
    e.Str("status", "success");
    if (!line_.stop_reason.empty()) e.Str("finish_reason", Label(line_.stop_reason));
    // Latency: from the attempt's api-request line, else from the last user line.
    double ms = f.request_open ? DurationMs(f.request_ns, line_.ts_ns, kMaxCallNs) : -1;
    if (ms < 0) ms = DurationMs(f.last_user_ns, line_.ts_ns, kMaxCallNs);
    if (ms >= 0) e.Num("duration_ms", ms);
    e.Time("ts", line_.ts_ns).End();
    f.request_open = false;
    // A sub-agent's line copied into the parent file (older releases) is not the parent's
    // model: a later failed call of the parent must not take it (nor depend on which of
    // the two files was read first).
    if (!copied) f.model.assign(model);
    if (!sidechain && f.turn_open && f.steps < kMaxCount) ++f.steps;
    o = Outcome::kEvent;
  } else {
    // Seen before: count what grew (older releases wrote growing usage per streamed line).
    std::uint32_t growth[4] = {};
    bool grew = false;
    for (int i = 0; i < 4; ++i) {
      const std::uint32_t now = fields[i] < 0 ? 0 : Tokens(fields[i]);
      if (now > m->counted[i]) {
        growth[i] = now - m->counted[i];
        m->counted[i] = now;
        grew = true;
      }
    }
    if (grew) {
      NativeLine e(out->lines, "usage");
      e.Str("agent_id", Agent(f)).Str("model", model);
      for (int i = 0; i < 4; ++i) {
        if (growth[i] > 0) e.Num(kNames[i], growth[i]);
      }
      // The native usage event is never priced by the exporter: price it here.
      if (const ModelPrice* p = FindPrice(limits_.pricing, model)) {
        e.Num("cost_usd", std::min(1e6, PriceTokens(*p, growth[0], growth[1], growth[2],
                                                     growth[3])));
      }
      e.Time("ts", line_.ts_ns).End();
      o = Outcome::kEvent;
    } else {
      o = Outcome::kDuplicate;
    }
  }
  if (!sidechain && IsFinal(line_.stop_reason) && (m->flags & claude::kMessageEndedTurn) == 0) {
    m->flags |= claude::kMessageEndedTurn;
    if (f.turn_open) {
      EndTurn(f, true, out);
      o = Outcome::kEvent;
    }
  }
  return o;
}

ClaudeCodeMapper::Outcome ClaudeCodeMapper::MapUser(FileState& f, bool sidechain,
                                                    MapOutput* out) {
  if (line_.ts_ns != 0) f.last_user_ns = line_.ts_ns;
  Outcome o = Outcome::kIgnored;
  bool duplicate = false;
  for (const claude::ToolResult& r : line_.tool_results) {
    claude::ToolEntry* t = state_.tools.Find(r.id);
    if (t == nullptr) continue;  // asked before we started, or forgotten: not counted
    if (t->done) {
      duplicate = true;
      continue;
    }
    t->done = true;
    NativeLine e(out->lines, "tool_call");
    e.Str("agent_id", Agent(f)).Str("tool_name", t->name);
    e.Str("status", r.is_error ? "failure" : "success");
    const double ms = DurationMs(t->asked_ns, line_.ts_ns, kMaxDurationNs);
    if (ms >= 0) e.Num("duration_ms", ms);
    e.Time("ts", line_.ts_ns).End();
    if (!sidechain && f.turn_open && f.tool_calls < kMaxCount) ++f.tool_calls;
    o = Outcome::kEvent;
  }
  if (o != Outcome::kEvent && duplicate) o = Outcome::kDuplicate;
  if (sidechain || !line_.has_text) return o;
  if (IsInterrupt(line_.first_text)) {
    // The user stopped the turn: it is not a run (neither a success nor the agent's
    // failure); its calls and tools stay counted.
    f.turn_open = false;
    return o;
  }
  const bool prompt = line_.tool_results.empty() && !line_.is_meta && !line_.from_system &&
                      !line_.is_compact_summary && !IsLocalMarker(line_.first_text);
  if (prompt) {
    // A turn still open was interrupted or cut (the CLI was stopped): not a run.
    f.turn_open = true;
    f.prompt_ns = line_.ts_ns;
    f.steps = 0;
    f.tool_calls = 0;
  }
  return o;
}

void ClaudeCodeMapper::FileClosed(std::uint64_t dev, std::uint64_t ino) {
  state_.files.erase({dev, ino});
}

std::string ClaudeCodeMapper::Save() const { return state_.Save(); }

Status ClaudeCodeMapper::Load(std::string_view state) { return state_.Load(state); }

std::size_t ClaudeCodeMapper::Entries() const { return state_.Entries(); }

}  // namespace agx::transcript
