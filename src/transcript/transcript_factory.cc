// MakeMapper: the one place that knows which class maps which transcript format.
#include "transcript/claude_code_mapper.h"
#include "transcript/codex_mapper.h"
#include "transcript/transcript_ingest.h"

namespace agx::transcript {

std::unique_ptr<TranscriptMapper> MakeMapper(Format format, MapperLimits limits) {
  switch (format) {
    case Format::kClaudeCode:
      return std::make_unique<ClaudeCodeMapper>(std::move(limits));
    case Format::kCodex:
      return std::make_unique<CodexMapper>(std::move(limits));
  }
  return nullptr;
}

}  // namespace agx::transcript
