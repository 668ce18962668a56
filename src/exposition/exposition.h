#pragma once
// Exposition: pure functions from a Snapshot to the wire formats, and content negotiation.
// Thread-safe (no state). Writers append to a caller-owned buffer.
#include <string>
#include <string_view>

#include "registry/snapshot.h"

namespace agx {

enum class ExpositionFormat { kOpenMetrics, kText };

/// Picks the format from an Accept header the way Prometheus expects: OpenMetrics 1.0.0
/// when `application/openmetrics-text` (no version, 1.0.0 or 0.0.1) is acceptable with a q
/// at least that of text/plain, text 0.0.4 otherwise (including a missing or empty header).
/// text/plain's q is that of the most specific range matching it (text/plain, else text/*,
/// else */*); malformed media ranges are ignored.
ExpositionFormat Negotiate(std::string_view accept);

/// "application/openmetrics-text; version=1.0.0; charset=utf-8" or
/// "text/plain; version=0.0.4; charset=utf-8".
std::string_view ContentType(ExpositionFormat format);

/// OpenMetrics 1.0: `# TYPE foo counter` with `foo_total` samples, canonical `le`, exemplars
/// on `_total` and `_bucket` samples only (and only when they have a trace_id and their label
/// set is within 128 code points), escaped label values and HELP, trailing `# EOF`.
/// Families without series are skipped; an empty HELP is omitted; invalid UTF-8 in label
/// values or HELP is written as U+FFFD.
void WriteOpenMetrics(const Snapshot& snapshot, std::string* out);

/// Prometheus text 0.0.4 (no exemplars, no EOF).
void WriteText(const Snapshot& snapshot, std::string* out);

/// Writes in `format`.
void WriteExposition(const Snapshot& snapshot, ExpositionFormat format, std::string* out);

}  // namespace agx
