#pragma once
// CodexMapper: OpenAI Codex CLI session transcripts (~/.codex/sessions/YYYY/MM/DD/
// rollout-*.jsonl) to native agent events. docs/transcripts.md "Codex CLI" has the mapping
// table and the evidence behind each rule (real runs of Codex CLI 0.171.0); in short:
//
// - llm_call: one per API response. Codex 0.171 writes a token_usage_record (keyed by
//   response_id) for each response, then a token_count with the thread's cumulative totals;
//   older versions write only token_count. A record is counted once per response_id; a
//   token_count only when its totals grew past what the file's counted lines account for
//   (so it repeats nothing a record counted, and repeated totals — at the start of a resumed
//   turn, after a compaction — count nothing); a `compacted` line's copy of its compaction
//   call's record counts only if neither was seen. Tokens: OpenAI's input includes cached and
//   cache-write tokens and output includes reasoning tokens, so input = input - cached -
//   cache_write, cache_read = cached, cache_creation = cache_write, output = output.
//   The model is the token line's own when it has one, else the file's last turn_context's.
//   A turn that ends with an API error (task_complete.error) adds one failed llm_call.
// - tool_call: a function_call / custom_tool_call / local_shell_call, when its *_output
//   arrives (duration = output time - call time); web_search_call with a final status.
//   Failure: the output's own marker (code mode "Script failed", "Process exited with code
//   N", an older JSON output's exit_code), or an item_completed line with status failed
//   for that call_id or, in code mode (nested commands have ids of their own), for the
//   file's latest pending custom tool call.
// - run: one per turn, task_started .. task_complete (failure when it carries an error);
//   no run for turn_aborted (interrupted); steps = successful llm_calls of the turn,
//   tool_calls = tool_calls of it.
//
// Bounded: at most MapperLimits::max_files files with state (least recently written
// forgotten first) and max_pending_tools tool calls waiting for their output (oldest first).
// Thread-compatible (transcript_mapper.h): confined to the ingest thread and the snapshot,
// both under the pipeline lock.
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "transcript/codex_line.h"
#include "transcript/transcript_mapper.h"

namespace agx::transcript {

class CodexMapper : public TranscriptMapper {
 public:
  explicit CodexMapper(MapperLimits limits);
  ~CodexMapper() override;

  void MapLine(const FileContext& file, std::string_view line, MapOutput* out) override;
  void FileClosed(std::uint64_t dev, std::uint64_t ino) override;
  std::string Save() const override;
  Status Load(std::string_view state) override;
  std::size_t Entries() const override { return files_.size() + pending_.size(); }

  /// Version tag at the start of Save()'s text; Load refuses any other.
  static constexpr std::string_view kStateVersion = "codex-state-v1";
  /// Response ids remembered per file to recognise a usage record seen again.
  static constexpr std::size_t kRecentResponseIds = 4;
  /// Ids (call_id, response_id) are cut to this many bytes before they are kept.
  static constexpr std::size_t kMaxIdBytes = 128;

  // Implementation types, public for codex_state.cc.
  struct FileKey {
    std::uint64_t dev = 0, ino = 0;
    bool operator==(const FileKey& o) const { return dev == o.dev && ino == o.ino; }
  };
  struct FileKeyHash {
    std::size_t operator()(const FileKey& k) const {
      return std::hash<std::uint64_t>()(k.dev * 0x9e3779b97f4a7c15ULL ^ k.ino);
    }
  };
  struct Turn {
    bool open = false;
    std::uint64_t start_ns = 0;
    std::uint64_t llm_calls = 0;
    std::uint64_t tool_calls = 0;
  };
  struct FileState {
    std::string model;       ///< last turn_context model, cut to the label limit
    std::string project;     ///< last path component of the last cwd, cut
    codex::Usage accounted;  ///< thread totals the counted lines account for
    bool has_records = false;                ///< the file writes token_usage_record lines
    std::vector<std::string> recent_ids;     ///< last counted response ids, oldest first
    Turn turn;
    std::uint64_t request_start_ns = 0;  ///< last line written before the current request
    bool streaming = false;              ///< an output item of the current response was seen
    std::string last_custom_call;        ///< latest pending custom tool call (code mode)
    std::list<FileKey>::iterator lru;
  };
  struct Pending {
    FileKey file;
    std::string call_id;
    std::string name;
    std::uint64_t start_ns = 0;
    bool failed = false;
    bool custom = false;
  };

 private:
  FileState& Touch(const FileKey& key);
  /// By value: callers pass lru_.back(), whose node this erases before the key is used again.
  void Forget(FileKey key);
  void AddPending(Pending p);
  void ErasePending(const std::string& key);
  static std::string PendingKey(const FileKey& f, std::string_view call_id);

  // Line handlers; each returns true when it wrote events, else sets *reason.
  bool OnUsage(const codex::CodexLine& l, bool record, FileState& fs, MapOutput* out,
               DropReason* reason, bool* invalid);
  bool OnTokenCount(const codex::CodexLine& l, FileState& fs, MapOutput* out,
                    DropReason* reason, bool* invalid);
  bool OnEventMsg(const codex::CodexLine& l, const FileKey& key, FileState& fs,
                  MapOutput* out, DropReason* reason, bool* invalid);
  bool OnResponseItem(const codex::CodexLine& l, const FileKey& key, FileState& fs,
                      MapOutput* out, DropReason* reason);
  bool EmitLlmCall(const codex::CodexLine& l, const FileState& fs, const codex::Usage& u,
                   MapOutput* out, bool* invalid);
  void EmitRun(const codex::CodexLine& l, FileState& fs, bool failed, MapOutput* out);
  std::string AgentId(const FileState& fs) const;
  std::string_view Cut(std::string_view v) const;

  MapperLimits limits_;
  codex::CodexLineParser parser_;
  codex::CodexLine line_;
  std::unordered_map<FileKey, FileState, FileKeyHash> files_;
  std::list<FileKey> lru_;  ///< most recently written first
  std::list<Pending> pending_;  ///< oldest first
  std::unordered_map<std::string, std::list<Pending>::iterator> pending_index_;
};

}  // namespace agx::transcript
