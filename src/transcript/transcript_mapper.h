#pragma once
// The contract between the transcript ingest (transcript_ingest.h) and the mapper of each
// coding-agent transcript format (claude_code_mapper.h, codex_mapper.h).
//
// A mapper turns the lines of session transcripts that coding agents append as they work
// into native agent events (docs/events.md), written with NativeLine, and keeps what it must
// remember between lines (messages already counted, tool calls waiting for their result,
// the open turn of each file, ...). Every map it keeps is bounded by MapperLimits.
//
// Exactly-once: the ingest calls MapLine for the lines of one read, then applies the events
// with the read's file position, all under the pipeline's apply lock; Save runs only under
// the exclusive lock of a snapshot. So a snapshot holds a mapper's state exactly as it was
// after the lines its positions cover, and a restart re-reads the lines after them.
//
// Thread-compatible: one ingest thread calls MapLine/FileClosed; Save/Load/Stats are called
// while no line is being mapped (the pipeline lock guarantees it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"

namespace agx::transcript {

enum class Format : std::uint8_t { kClaudeCode, kCodex };
/// "claude_code" or "codex": the config key and the `format` label of the self metrics.
std::string_view FormatName(Format format);

/// Why a well-formed transcript line produced no event. The reason label of
/// agent_exporter_transcript_lines_dropped_total{format,reason}. Never an error: newer agent
/// releases add line types, and most lines of a transcript carry nothing to count.
enum class DropReason : std::uint8_t {
  kUnknownType,  ///< a line type (or payload type) this version does not know
  kIgnored,      ///< a known type that carries nothing counted (summary, system, text, ...)
  kDuplicate,    ///< repeats what was already counted (a streamed message seen again with no
                 ///< growth, a repeated cumulative token total, a tool result seen before)
  kSynthetic,    ///< made locally by the agent, not an API call (model "<synthetic>",
                 ///< API error placeholders)
  kCount,
};
inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::kCount);
std::string_view DropReasonName(DropReason reason);

/// The file a line comes from: its identity (stable across renames) and current path.
struct FileContext {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::string_view path;
};

/// What mapping lines produced. `lines` receives native event lines (NativeLine, each ending
/// in '\n'); a line may produce several events or none.
struct MapOutput {
  std::string* lines = nullptr;
  /// Lines that produced no event, by reason. A line that produced events is not dropped,
  /// even when part of it was a duplicate.
  std::uint64_t dropped[kDropReasonCount] = {};
  /// Lines that are not a JSON object, or whose known fields have the wrong JSON type
  /// (counted in agent_exporter_events_rejected_total{source="transcript"}).
  std::uint64_t invalid = 0;
};

struct MapperLimits {
  /// Agent id of the events. "{project}" in it is replaced by the last path component of
  /// the session's working directory (`cwd`), so one agent_exporter can tell projects apart;
  /// label limits then apply as to any label value.
  std::string agent_id;
  /// API messages (Claude Code) remembered with what was counted for them; the oldest is
  /// forgotten first (a message seen again after that is counted again).
  std::size_t max_messages = 65536;
  /// Tool calls waiting for their result; the oldest is forgotten first (its result, if it
  /// comes, is then dropped as ignored: no tool call is counted for it).
  std::size_t max_pending_tools = 16384;
  /// Transcript files with state (open turn, model, last totals); the least recently
  /// written is forgotten first.
  std::size_t max_files = 4096;
  /// Label values are cut to this many bytes before they are copied (tool names, models).
  std::size_t label_value_max_bytes = 128;
  /// Prices of models (Config::pricing), for what cannot be sent as an llm_call.
  std::vector<ModelPrice> pricing;
};

class TranscriptMapper {
 public:
  virtual ~TranscriptMapper() = default;
  /// Maps one complete line (without its '\n') of `file`.
  virtual void MapLine(const FileContext& file, std::string_view line, MapOutput* out) = 0;
  /// The file was given up (deleted, or no longer matched) and read to its end: forget it.
  virtual void FileClosed(std::uint64_t dev, std::uint64_t ino) = 0;
  /// The state to keep in the snapshot (text without '\n'); Load reads it back. A state of
  /// another version or a malformed one is refused with a message (nothing changed then).
  virtual std::string Save() const = 0;
  virtual Status Load(std::string_view state) = 0;
  /// Entries held in the bounded maps (for tests and the memory bound).
  virtual std::size_t Entries() const = 0;
};

}  // namespace agx::transcript
