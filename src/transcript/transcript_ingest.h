#pragma once
// TranscriptIngest: one coding agent's transcripts (one format) from the tailer to the
// pipeline. For each read it maps the lines with the format's mapper and applies the events
// with the read's position, both under the pipeline's apply lock, and saves the mapper's
// state as the state section "transcript.<format>" (ingest/state_section.h): exactly once
// across restarts, as for native files (docs/transcripts.md, "Exactly once").
// Events count as source "transcript"; lines that are not JSON objects as rejected
// (invalid_json); lines with nothing to count in agent_exporter_transcript_dropped_total.
// The sink is called by one tailer thread; the section by the pipeline's snapshot and
// restore. Not copyable.
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/pipeline.h"
#include "ingest/state_section.h"
#include "tail/file_tailer.h"
#include "transcript/transcript_mapper.h"

namespace agx {
class Registry;
class CounterHandle;
}  // namespace agx

namespace agx::transcript {

class TranscriptIngest final : public TailSink, public StateSection {
 public:
  /// Registers itself with `pipeline` as the state section "transcript.<format>"; construct
  /// before the pipeline's Restore.
  TranscriptIngest(Pipeline& pipeline, Registry& registry, Format format,
                   std::unique_ptr<TranscriptMapper> mapper);
  ~TranscriptIngest() override;
  TranscriptIngest(const TranscriptIngest&) = delete;
  TranscriptIngest& operator=(const TranscriptIngest&) = delete;

  // TailSink
  void OnLines(const FilePosition& after, std::span<const std::string_view> lines,
               std::size_t oversized) override;
  void OnFileClosed(const FilePosition& last) override;

  // StateSection
  std::string Save() const override;
  Status Load(std::string_view state) override;

  Format format() const { return format_; }

 private:
  Pipeline& pipeline_;
  const Format format_;
  std::unique_ptr<TranscriptMapper> mapper_;
  CounterHandle* dropped_[kDropReasonCount] = {};
  std::string buffer_;  // the events of one read, reused (tailer thread only)
  std::vector<std::string_view> views_;
};

/// The mapper of `format` (claude_code_mapper.h, codex_mapper.h) with `limits`.
std::unique_ptr<TranscriptMapper> MakeMapper(Format format, MapperLimits limits);

}  // namespace agx::transcript
