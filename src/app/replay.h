#pragma once
// `agent_exporter replay`: applies every event in the files once and prints the exposition.
#include <ostream>
#include <string>
#include <vector>

#include "config/config.h"
#include "exposition/exposition.h"

namespace agx {

/// \return the process exit code: 0, or 1 when a file could not be read.
int RunReplay(const Config& config, ExpositionFormat format,
              const std::vector<std::string>& files, std::ostream& out, std::ostream& err);

}  // namespace agx
