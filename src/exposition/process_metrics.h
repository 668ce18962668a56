#pragma once
// Process self-metrics in the client_golang names (process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds), read from /proc/self at scrape time.
// Thread-safe.
#include "registry/snapshot.h"

namespace agx {

/// Appends the process families to `snapshot` (nothing on read errors).
void AppendProcessMetrics(Snapshot* snapshot);

}  // namespace agx
