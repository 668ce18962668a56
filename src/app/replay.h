#pragma once
// `agent_exporter replay`: applies every event in the files once and prints the exposition.
// With --input claude_code|codex the files are coding-agent transcripts.
#include <ostream>
#include <string>
#include <vector>

#include "config/config.h"
#include "exposition/exposition.h"

namespace agx {

/// What the files hold: native event lines, or the session transcripts of a coding agent
/// (docs/transcripts.md), mapped as when they are tailed.
enum class ReplayInput { kNative, kClaudeCode, kCodex };

/// \return the process exit code: 0, or 1 when a file could not be read.
int RunReplay(const Config& config, ExpositionFormat format,
              const std::vector<std::string>& files, std::ostream& out, std::ostream& err,
              ReplayInput input = ReplayInput::kNative);

}  // namespace agx
