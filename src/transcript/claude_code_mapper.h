#pragma once
// ClaudeCodeMapper: Claude Code session transcripts (~/.claude/projects/<project>/<session>.jsonl
// and <session>/subagents/*.jsonl) to native events. docs/transcripts.md ("Claude Code") is
// the user-facing contract; in short:
// - an assistant line with a message id and usage, first seen (in any file) -> llm_call with
//   its tokens; seen again with more tokens -> usage (the growth, priced); else a duplicate;
// - an API error (system/api_error for each failed attempt that was retried, and the
//   <synthetic> isApiErrorMessage line for the last one) -> llm_call status failure;
// - tool_use blocks are remembered; their tool_result -> tool_call (failure if is_error);
// - a human prompt opens a turn of its file; the turn's final message (stop_reason other
//   than tool_use) ends it -> run success, a final API error -> run failure. Sub-agent
//   (sidechain) lines never open or end turns.
// Thread-compatible (see transcript_mapper.h).
#include <memory>
#include <string>

#include "transcript/claude_code_line.h"
#include "transcript/claude_code_state.h"
#include "transcript/transcript_mapper.h"

namespace agx::transcript {

class ClaudeCodeMapper : public TranscriptMapper {
 public:
  explicit ClaudeCodeMapper(MapperLimits limits);

  // agx::transcript::TranscriptMapper
  void MapLine(const FileContext& file, std::string_view line, MapOutput* out) override;
  void FileClosed(std::uint64_t dev, std::uint64_t ino) override;
  std::string Save() const override;
  Status Load(std::string_view state) override;
  std::size_t Entries() const override;

 private:
  enum class Outcome : std::uint8_t { kEvent, kIgnored, kDuplicate, kSynthetic };
  /// `copied`: a sidechain line in the parent file (older releases copied sub-agents there).
  Outcome MapAssistant(claude::FileState& f, bool sidechain, bool copied, MapOutput* out);
  Outcome MapApiError(claude::FileState& f, bool sidechain, MapOutput* out);
  Outcome MapUser(claude::FileState& f, bool sidechain, MapOutput* out);
  Outcome MapSystem(claude::FileState& f, MapOutput* out);
  void EmitFailedCall(claude::FileState& f, MapOutput* out);
  void EndTurn(claude::FileState& f, bool success, MapOutput* out);
  /// The agent id of the line being mapped (the template with {project} filled in).
  std::string_view Agent(const claude::FileState& f);
  /// `s` cut to the label limit at a UTF-8 boundary; "unknown" when empty.
  std::string_view Label(std::string_view s) const;

  const MapperLimits limits_;
  const bool per_project_;  // agent_id has "{project}"
  claude::ClaudeLineParser parser_;
  claude::ClaudeLine line_;  // the line being mapped (reused)
  claude::ClaudeState state_;
  std::string agent_;  // reused
};

}  // namespace agx::transcript
