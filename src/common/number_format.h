#pragma once
// Number formatting for the exposition formats. Pure functions; thread-safe; they append to
// a caller-owned buffer so a warm writer allocates nothing.
#include <string>

namespace agx {

/// Appends `v` the way Prometheus and OpenMetrics expect a sample value: shortest
/// round-trip form, `NaN`, `+Inf`, `-Inf`.
void AppendValue(std::string* out, double v);

/// Appends `v` in OpenMetrics canonical form for `le`/`quantile` label values: Go `%g`
/// plus `.0` when the result has no dot or exponent (`1.0`, `0.25`, `1e+06`, `+Inf`).
void AppendCanonical(std::string* out, double v);

/// Appends a Unix timestamp in seconds in fixed notation with millisecond precision
/// (`1700000000.123`): some parsers misread exponent forms.
void AppendTimestamp(std::string* out, double seconds);

}  // namespace agx
