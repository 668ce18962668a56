// The Codex CLI transcript mapper (codex_mapper.h; docs/transcripts.md "Codex CLI").
#include "transcript/codex_mapper.h"

#include <algorithm>
#include <cstring>

#include "common/utf8.h"
#include "ingest/native_line.h"

namespace agx::transcript {
namespace {

using codex::CodexLine;
using codex::LineError;
using codex::LineType;
using codex::Usage;

// The native maxima per event (docs/events.md "Maxima"): a line that would exceed them is
// refused here, counted as invalid, rather than rejected whole by the pipeline later.
constexpr std::uint64_t kMaxTokens = 1000000000;
constexpr std::uint64_t kMaxSteps = 1000000;
constexpr double kMaxDurationMs = 365.0 * 86400e3;

/// event_msg payload types that carry nothing counted (the ones that do are handled first).
constexpr std::string_view kQuietEvents[] = {
    "user_message", "agent_message", "agent_reasoning", "agent_reasoning_raw_content",
    "agent_reasoning_section_break", "agent_message_delta", "agent_message_content_delta",
    "agent_reasoning_delta", "reasoning_content_delta", "reasoning_raw_content_delta",
    "session_configured", "thread_settings_applied", "item_started", "error", "stream_error",
    "warning", "background_event", "exec_command_begin", "exec_command_end",
    "exec_command_output_delta", "exec_approval_request", "apply_patch_approval_request",
    "patch_apply_begin", "patch_apply_end", "patch_apply_updated", "mcp_tool_call_begin",
    "mcp_tool_call_end", "mcp_startup_update", "mcp_startup_complete", "mcp_list_tools_response",
    "web_search_begin", "web_search_end", "view_image_tool_call", "plan_update", "plan_delta",
    "turn_diff", "context_compacted", "thread_rolled_back", "entered_review_mode",
    "exited_review_mode", "shutdown_complete", "get_history_entry_response", "list_custom_prompts_response",
    "conversation_path", "deprecation_notice", "hook_started", "hook_completed",
    "request_user_input", "terminal_interaction", "undo_started", "undo_completed",
    "image_generation_begin", "image_generation_end", "model_reroute", "thread_goal_updated",
    "thread_queue_changed", "turn_moderation_metadata", "collab_agent_spawn_begin",
    "collab_agent_spawn_end", "collab_agent_interaction_begin", "collab_agent_interaction_end",
    "collab_waiting_begin", "collab_waiting_end", "collab_close_begin", "collab_close_end",
    "collab_resume_begin", "collab_resume_end", "sub_agent_activity", "raw_response_item",
    "guardian_assessment", "dynamic_tool_call_request", "dynamic_tool_call_response",
    "elicitation_request", "environment_connected", "environment_disconnected",
};
/// response_item payload types that carry nothing counted.
constexpr std::string_view kQuietItems[] = {
    "message", "reasoning", "additional_tools", "tool_search_call", "tool_search_output",
    "image_generation_call", "compaction", "context_compaction", "ghost_snapshot",
    "configuration_update", "agent_message",
};
/// task_complete.error kinds that are not a failed API call (codex_error_info).
constexpr std::string_view kNotApiErrors[] = {
    "sandbox_error", "thread_rollback_failed", "active_turn_not_steerable",
};

template <std::size_t N>
bool OneOf(std::string_view v, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), v) != std::end(list);
}

bool IsToolCall(std::string_view t) {
  return t == "function_call" || t == "custom_tool_call" || t == "local_shell_call";
}
bool IsToolOutput(std::string_view t) {
  return t == "function_call_output" || t == "custom_tool_call_output" ||
         t == "local_shell_call_output";
}

/// The last component of a working directory ("/home/me/src/app/" -> "app").
std::string_view LastComponent(std::string_view cwd) {
  while (cwd.size() > 1 && (cwd.back() == '/' || cwd.back() == '\\')) cwd.remove_suffix(1);
  const std::size_t slash = cwd.find_last_of("/\\");
  if (slash != std::string_view::npos && cwd.size() > 1) cwd.remove_prefix(slash + 1);
  return cwd;
}

/// The whole number after `marker` in `text` (raw JSON string content), or -1.
long long NumberAfter(std::string_view text, std::string_view marker) {
  const std::size_t at = text.find(marker);
  if (at == std::string_view::npos) return -1;
  std::size_t i = at + marker.size();
  if (i < text.size() && text[i] == '-') return 1;  // a negative code is a failure too
  long long v = -1;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    v = (v < 0 ? 0 : v) * 10 + (text[i] - '0');
    if (v > 1000000) break;
  }
  return v;
}

/// Whether a tool output says the call failed (docs/transcripts.md, tool failures).
bool OutputSaysFailed(const CodexLine& l) {
  const std::string_view head = l.output_head;
  // Code mode (the custom tool `exec`): the JavaScript cell threw.
  if (head.starts_with("Script failed") || head.starts_with("Script error")) return true;
  // Function tool exec_command (0.171): "Chunk ID: …\nWall time: …\nProcess exited with
  // code N\n…"; older unified exec: "Exit code: N\n…".
  for (std::string_view marker : {"Process exited with code ", "Exit code: "}) {
    const long long code = NumberAfter(head, marker);
    if (code > 0) return true;
    if (code == 0) return false;
  }
  // Older shell tool: a JSON text {"output":"…","metadata":{"exit_code":N,…}} (escaped in
  // the line), its metadata at the end.
  const long long code = NumberAfter(l.output_tail, "\\\"exit_code\\\":");
  return code > 0;
}

std::uint64_t Sub(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

Usage Growth(const Usage& now, const Usage& before) {
  Usage g;
  g.present = true;
  g.input = Sub(now.input, before.input);
  g.cached = Sub(now.cached, before.cached);
  g.cache_write = Sub(now.cache_write, before.cache_write);
  g.output = Sub(now.output, before.output);
  g.reasoning = Sub(now.reasoning, before.reasoning);
  g.total = Sub(now.total, before.total);
  return g;
}

std::uint64_t Sat(std::uint64_t a, std::uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

Usage Plus(const Usage& a, const Usage& b) {
  Usage s;
  s.present = true;
  s.input = Sat(a.input, b.input);
  s.cached = Sat(a.cached, b.cached);
  s.cache_write = Sat(a.cache_write, b.cache_write);
  s.output = Sat(a.output, b.output);
  s.reasoning = Sat(a.reasoning, b.reasoning);
  s.total = Sat(a.total, b.total);
  return s;
}

bool HasTokens(const Usage& u) { return u.input > 0 || u.output > 0 || u.cached > 0; }

/// Milliseconds from `start_ns` to `end_ns`, or -1 when either is unknown, the time went
/// backwards, or it is over the native maximum.
double Millis(std::uint64_t start_ns, std::uint64_t end_ns) {
  if (start_ns == 0 || end_ns == 0 || end_ns < start_ns) return -1;
  const double ms = static_cast<double>(end_ns - start_ns) / 1e6;
  return ms <= kMaxDurationMs ? ms : -1;
}

}  // namespace

CodexMapper::CodexMapper(MapperLimits limits) : limits_(std::move(limits)) {}
CodexMapper::~CodexMapper() = default;

std::string_view CodexMapper::Cut(std::string_view v) const {
  // As the OTLP mapper's CutLabel: 4 bytes more than the registry keeps, so a value that was
  // too long is still cut (and counted) there, while a line never carries more of it.
  return TruncateUtf8(v, limits_.label_value_max_bytes + 4);
}

std::string CodexMapper::AgentId(const FileState& fs) const {
  std::string id = limits_.agent_id.empty() ? std::string("codex") : limits_.agent_id;
  const std::size_t at = id.find("{project}");
  if (at != std::string::npos) {
    id.replace(at, 9, fs.project.empty() ? std::string_view("unknown") : fs.project);
  }
  return id;
}

std::string CodexMapper::PendingKey(const FileKey& f, std::string_view call_id) {
  std::string k(16, '\0');
  std::memcpy(k.data(), &f.dev, 8);
  std::memcpy(k.data() + 8, &f.ino, 8);
  k.append(call_id.substr(0, kMaxIdBytes));
  return k;
}

CodexMapper::FileState& CodexMapper::Touch(const FileKey& key) {
  auto it = files_.find(key);
  if (it != files_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  while (!lru_.empty() && files_.size() >= std::max<std::size_t>(limits_.max_files, 1)) {
    Forget(lru_.back());
  }
  lru_.push_front(key);
  FileState& fs = files_[key];
  fs.lru = lru_.begin();
  return fs;
}

void CodexMapper::Forget(FileKey key) {
  auto it = files_.find(key);
  if (it == files_.end()) return;
  lru_.erase(it->second.lru);
  files_.erase(it);
  for (auto p = pending_.begin(); p != pending_.end();) {
    if (p->file == key) {
      pending_index_.erase(PendingKey(p->file, p->call_id));
      p = pending_.erase(p);
    } else {
      ++p;
    }
  }
}

void CodexMapper::FileClosed(std::uint64_t dev, std::uint64_t ino) { Forget({dev, ino}); }

void CodexMapper::AddPending(Pending p) {
  std::string key = PendingKey(p.file, p.call_id);
  ErasePending(key);  // a call id seen again replaces the older call
  while (!pending_.empty() && pending_.size() >= std::max<std::size_t>(limits_.max_pending_tools, 1)) {
    pending_index_.erase(PendingKey(pending_.front().file, pending_.front().call_id));
    pending_.pop_front();
  }
  pending_.push_back(std::move(p));
  pending_index_.emplace(std::move(key), std::prev(pending_.end()));
}

void CodexMapper::ErasePending(const std::string& key) {
  auto it = pending_index_.find(key);
  if (it == pending_index_.end()) return;
  pending_.erase(it->second);
  pending_index_.erase(it);
}

void CodexMapper::MapLine(const FileContext& file, std::string_view line, MapOutput* out) {
  CodexLine& l = line_;
  if (parser_.Parse(line, &l) != LineError::kNone) {
    ++out->invalid;
    return;
  }
  if (l.type == LineType::kUnknown) {
    ++out->dropped[static_cast<std::size_t>(DropReason::kUnknownType)];
    return;
  }
  if (l.type == LineType::kIgnored) {
    ++out->dropped[static_cast<std::size_t>(DropReason::kIgnored)];
    return;
  }
  if (!l.payload_object || l.payload_error != LineError::kNone) {
    ++out->invalid;
    return;
  }
  const FileKey key{file.dev, file.ino};
  FileState& fs = Touch(key);
  DropReason reason = DropReason::kIgnored;
  bool invalid = false;
  bool wrote = false;
  switch (l.type) {
    case LineType::kSessionMeta:
      if (!l.cwd.empty()) fs.project = std::string(Cut(LastComponent(l.cwd)));
      break;
    case LineType::kTurnContext:
      if (!l.model.empty()) fs.model = std::string(Cut(l.model));
      if (!l.cwd.empty()) fs.project = std::string(Cut(LastComponent(l.cwd)));
      if (!fs.streaming && l.ts_ns != 0) fs.request_start_ns = l.ts_ns;
      break;
    case LineType::kEventMsg:
      wrote = OnEventMsg(l, key, fs, out, &reason, &invalid);
      break;
    case LineType::kResponseItem:
      wrote = OnResponseItem(l, key, fs, out, &reason);
      break;
    case LineType::kTokenUsageRecord:
      wrote = OnUsage(l, /*record=*/true, fs, out, &reason, &invalid);
      break;
    case LineType::kCompacted:
      if (l.last.present || !l.response_id.empty()) {
        wrote = OnUsage(l, /*record=*/false, fs, out, &reason, &invalid);
      }
      break;
    default:
      break;
  }
  if (invalid) {
    ++out->invalid;
  } else if (!wrote) {
    ++out->dropped[static_cast<std::size_t>(reason)];
  }
}

bool CodexMapper::EmitLlmCall(const CodexLine& l, const FileState& fs, const Usage& u,
                              MapOutput* out, bool* invalid) {
  // OpenAI's input_tokens include the cached and the cache-write tokens; output_tokens
  // include the reasoning tokens (docs/transcripts.md, cache and reasoning arithmetic).
  const std::uint64_t cache_read = std::min(u.cached, u.input);
  const std::uint64_t cache_write = std::min(u.cache_write, u.input - cache_read);
  const std::uint64_t input = u.input - cache_read - cache_write;
  if (input > kMaxTokens || u.output > kMaxTokens || cache_read > kMaxTokens ||
      cache_write > kMaxTokens) {
    *invalid = true;
    return false;
  }
  std::string_view model = "unknown";
  if (!l.model.empty()) {
    model = Cut(l.model);
  } else if (!fs.model.empty()) {
    model = fs.model;
  }
  NativeLine e(out->lines, "llm_call");
  e.Str("agent_id", AgentId(fs)).Time("ts", l.ts_ns).Str("model", model);
  e.Num("input_tokens", static_cast<double>(input));
  e.Num("output_tokens", static_cast<double>(u.output));
  e.Num("cache_read_tokens", static_cast<double>(cache_read));
  if (cache_write > 0) e.Num("cache_creation_tokens", static_cast<double>(cache_write));
  const double ms = Millis(fs.request_start_ns, l.ts_ns);
  if (ms >= 0) e.Num("duration_ms", ms);
  e.Str("status", "success");
  e.End();
  return true;
}

bool CodexMapper::OnUsage(const CodexLine& l, bool record, FileState& fs, MapOutput* out,
                          DropReason* reason, bool* invalid) {
  const std::string_view id = l.response_id.substr(0, kMaxIdBytes);
  const bool seen =
      !id.empty() && std::find(fs.recent_ids.begin(), fs.recent_ids.end(), id) != fs.recent_ids.end();
  // A compacted line's copy (and a record without a response id) also repeats what the
  // thread totals already account for.
  const bool covered = (!record || id.empty()) && l.total.present &&
                       l.total.total <= fs.accounted.total && fs.accounted.total > 0;
  if (seen || covered) {
    *reason = DropReason::kDuplicate;
    return false;
  }
  if (!l.last.present) {
    *reason = DropReason::kIgnored;
    return false;
  }
  if (record) fs.has_records = true;
  const bool wrote = EmitLlmCall(l, fs, l.last, out, invalid);
  if (!wrote) return false;
  fs.accounted = l.total.present && l.total.total > fs.accounted.total
                     ? l.total
                     : Plus(fs.accounted, l.last);
  if (!id.empty()) {
    if (fs.recent_ids.size() >= kRecentResponseIds) fs.recent_ids.erase(fs.recent_ids.begin());
    fs.recent_ids.emplace_back(id);
  }
  if (fs.turn.open) fs.turn.llm_calls = std::min(fs.turn.llm_calls + 1, kMaxSteps);
  fs.streaming = false;
  if (l.ts_ns != 0) fs.request_start_ns = l.ts_ns;
  return true;
}

bool CodexMapper::OnTokenCount(const CodexLine& l, FileState& fs, MapOutput* out,
                               DropReason* reason, bool* invalid) {
  if (!fs.streaming && l.ts_ns != 0) fs.request_start_ns = l.ts_ns;
  if (!l.has_info || !l.total.present) {
    *reason = DropReason::kIgnored;  // info null: rate limits only
    return false;
  }
  Usage tokens;
  if (l.total.total > fs.accounted.total) {
    // Calls no counted line accounts for: this call's usage as Codex reports it, else the
    // growth of the totals.
    tokens = l.last.present ? l.last : Growth(l.total, fs.accounted);
  } else if (!fs.has_records && !(l.total == fs.accounted) && l.last.present &&
             l.last.total == l.total.total && HasTokens(l.last)) {
    // Totals went back to this call's own usage in a file without usage records: the
    // totals restarted (a new process without the old totals); this is a new call.
    tokens = l.last;
  } else {
    *reason = DropReason::kDuplicate;  // repeated (resume, compaction) or already counted
    return false;
  }
  const bool wrote = EmitLlmCall(l, fs, tokens, out, invalid);
  if (!wrote) return false;
  fs.accounted = l.total;
  if (fs.turn.open) fs.turn.llm_calls = std::min(fs.turn.llm_calls + 1, kMaxSteps);
  fs.streaming = false;
  return true;
}

void CodexMapper::EmitRun(const CodexLine& l, FileState& fs, bool failed, MapOutput* out) {
  NativeLine e(out->lines, "run");
  e.Str("agent_id", AgentId(fs)).Time("ts", l.ts_ns).Str("status", failed ? "failure" : "success");
  double ms = -1;
  if (l.has_duration && l.duration_ms <= kMaxDurationMs) {
    ms = l.duration_ms;
  } else if (fs.turn.open) {
    ms = Millis(fs.turn.start_ns, l.ts_ns);
  }
  if (ms >= 0) e.Num("duration_ms", ms);
  if (fs.turn.open) {
    e.Num("steps", static_cast<double>(std::min(fs.turn.llm_calls, kMaxSteps)));
    e.Num("tool_calls", static_cast<double>(std::min(fs.turn.tool_calls, kMaxSteps)));
  }
  e.End();
  fs.turn = Turn{};
}

bool CodexMapper::OnEventMsg(const CodexLine& l, const FileKey& key, FileState& fs,
                             MapOutput* out, DropReason* reason, bool* invalid) {
  const std::string_view t = l.payload_type;
  if (t == "token_count") return OnTokenCount(l, fs, out, reason, invalid);
  if (t == "task_started") {
    // A turn still open here never ended in this file (the process died): no run for it.
    fs.turn = Turn{true, l.ts_ns, 0, 0};
    if (l.ts_ns != 0) fs.request_start_ns = l.ts_ns;
    fs.streaming = false;
    return false;
  }
  if (t == "turn_aborted") {
    // Interrupted by the user (Ctrl-C, Esc) or replaced by a new prompt: neither a success
    // nor a failure of the agent, so no run (as for Claude Code; every Esc would otherwise
    // count toward the error-rate alerts). Its calls and tool calls were counted.
    fs.turn = Turn{};
    fs.streaming = false;
    *reason = DropReason::kIgnored;
    return false;
  }
  if (t == "task_complete") {
    bool failed = false;
    if (l.has_error) {
      failed = true;
      if (!OneOf(l.error_kind, kNotApiErrors)) {
        // The turn's last request failed for good (retried attempts leave no line).
        const std::string_view model = !fs.model.empty() ? std::string_view(fs.model) : "unknown";
        NativeLine e(out->lines, "llm_call");
        e.Str("agent_id", AgentId(fs)).Time("ts", l.ts_ns).Str("model", model);
        // Not a step of the run: steps are the model's answers (as for Claude Code).
        e.Str("status", "failure").End();
      }
    }
    EmitRun(l, fs, failed, out);
    fs.streaming = false;
    return true;
  }
  if (t == "item_completed") {
    if (l.item_status == "failed" || l.item_status == "declined") {
      auto it = pending_index_.find(PendingKey(key, l.item_id));
      if (it == pending_index_.end() && !fs.last_custom_call.empty()) {
        it = pending_index_.find(PendingKey(key, fs.last_custom_call));
      }
      if (it != pending_index_.end()) it->second->failed = true;
    }
    return false;
  }
  if (t == "user_message" && !fs.streaming && l.ts_ns != 0) fs.request_start_ns = l.ts_ns;
  *reason = OneOf(t, kQuietEvents) ? DropReason::kIgnored : DropReason::kUnknownType;
  return false;
}

bool CodexMapper::OnResponseItem(const CodexLine& l, const FileKey& key, FileState& fs,
                                 MapOutput* out, DropReason* reason) {
  const std::string_view t = l.payload_type;
  const bool output_side = IsToolCall(t) || t == "reasoning" || t == "web_search_call" ||
                           (t == "message" && l.role == "assistant");
  if (output_side) {
    fs.streaming = true;
  } else if ((IsToolOutput(t) || t == "message") && !fs.streaming && l.ts_ns != 0) {
    fs.request_start_ns = l.ts_ns;  // sent with the next request
  }
  if (l.compaction_output) {
    *reason = DropReason::kIgnored;  // history a compaction call wrote back, not new calls
    return false;
  }
  if (IsToolCall(t)) {
    if (l.call_id.empty()) return false;  // cannot be matched with its output: ignored
    Pending p;
    p.file = key;
    p.call_id = std::string(l.call_id.substr(0, kMaxIdBytes));
    p.name = std::string(Cut(t == "local_shell_call" ? std::string_view("local_shell")
                             : l.name.empty()       ? std::string_view("unknown")
                                                    : l.name));
    p.start_ns = l.ts_ns;
    p.custom = t == "custom_tool_call";
    if (p.custom) fs.last_custom_call = p.call_id;
    AddPending(std::move(p));
    return false;
  }
  if (IsToolOutput(t)) {
    auto it = pending_index_.find(PendingKey(key, l.call_id));
    if (it == pending_index_.end()) return false;  // never seen, or forgotten: ignored
    const Pending& p = *it->second;
    const bool failed = p.failed || OutputSaysFailed(l);
    NativeLine e(out->lines, "tool_call");
    e.Str("agent_id", AgentId(fs)).Time("ts", l.ts_ns).Str("tool_name", p.name);
    e.Str("status", failed ? "failure" : "success");
    const double ms = Millis(p.start_ns, l.ts_ns);
    if (ms >= 0) e.Num("duration_ms", ms);
    e.End();
    if (fs.turn.open) fs.turn.tool_calls = std::min(fs.turn.tool_calls + 1, kMaxSteps);
    if (fs.last_custom_call == p.call_id) fs.last_custom_call.clear();
    const auto node = it->second;
    pending_index_.erase(it);
    pending_.erase(node);
    return true;
  }
  if (t == "web_search_call") {
    if (l.status != "completed" && l.status != "failed") return false;  // not final
    NativeLine e(out->lines, "tool_call");
    e.Str("agent_id", AgentId(fs)).Time("ts", l.ts_ns).Str("tool_name", "web_search");
    e.Str("status", l.status == "failed" ? "failure" : "success").End();
    if (fs.turn.open) fs.turn.tool_calls = std::min(fs.turn.tool_calls + 1, kMaxSteps);
    return true;
  }
  *reason = OneOf(t, kQuietItems) ? DropReason::kIgnored : DropReason::kUnknownType;
  return false;
}

}  // namespace agx::transcript
