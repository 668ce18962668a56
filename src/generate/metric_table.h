#pragma once
// Renders the metric catalogue as the README's Markdown table. A pure function of the
// catalogue and the bucket defaults; thread-safe.
#include <string>

namespace agx {

/// One row per catalogue metric: layer, name, type, labels, buckets and help.
std::string MetricTableMarkdown();

}  // namespace agx
