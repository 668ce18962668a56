#include "transcript/transcript_mapper.h"

namespace agx::transcript {

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kClaudeCode:
      return "claude_code";
    case Format::kCodex:
      return "codex";
  }
  return "unknown";
}

std::string_view DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kUnknownType:
      return "unknown_type";
    case DropReason::kIgnored:
      return "ignored";
    case DropReason::kDuplicate:
      return "duplicate";
    case DropReason::kSynthetic:
      return "synthetic";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

}  // namespace agx::transcript
