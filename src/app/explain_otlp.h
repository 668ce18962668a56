#pragma once
// `agent_exporter explain-otlp FILE…`: reads OTLP JSON export requests (one per line, as the
// Collector's file exporter writes them and otlp.files tails them; or one request spread
// over the whole file, e.g. pretty-printed) and prints, per span, the native event it became
// with the rule that decided it, or why it was dropped or rejected; log records and metric
// points are summed up per request. Requests are mapped in order with one span memory, as
// `serve` would, each acknowledged before the next, so nested and re-sent spans are shown
// as the duplicates they would be.
#include <ostream>
#include <string>
#include <vector>

#include "config/config.h"

namespace agx {

enum class ExplainFormat { kText, kJson };

/// \return the process exit code: 0; 1 when a file cannot be read or a request does not
/// decode (reported on `err`, the other requests are still explained).
int RunExplainOtlp(const Config& config, ExplainFormat format,
                   const std::vector<std::string>& files, std::ostream& out, std::ostream& err);

}  // namespace agx
