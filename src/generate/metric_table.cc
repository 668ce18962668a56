#include "generate/metric_table.h"

#include "catalog/metric_spec.h"
#include "common/number_format.h"

namespace agx {

std::string MetricTableMarkdown() {
  std::string out =
      "| Layer | Metric | Type | Labels | Buckets | Description |\n"
      "|---|---|---|---|---|---|\n";
  for (const MetricSpec& m : AllMetrics()) {
    out.append("| ").append(LayerName(m.layer)).append(" | `").append(m.name).append("` | ");
    out.append(TypeName(m.type)).append(" | ");
    for (std::size_t i = 0; i < m.labels.size(); ++i) {
      if (i > 0) out.append(", ");
      out.append("`").append(m.labels[i]).append("`");
    }
    out.append(" | ");
    for (std::size_t i = 0; i < m.buckets.size(); ++i) {
      if (i > 0) out.append(", ");
      AppendValue(&out, m.buckets[i]);
    }
    out.append(" | ").append(m.help);
    if (m.exemplars) out.append(" Exemplars: trace_id, span_id.");
    out.append(" |\n");
  }
  return out;
}

}  // namespace agx
