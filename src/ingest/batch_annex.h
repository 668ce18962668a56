#pragma once
// BatchAnnex: state a source keeps beside the metrics that must stay consistent with them
// across crashes (the OTLP span memory, otlp/span_memory.h). A batch may carry annex data;
// the Pipeline logs it in the batch's WAL record, applies it under the same lock as the
// batch's lines, replays it with them, and saves the annex's state in the snapshot. So a
// snapshot or a replay holds the annex's effects of a batch exactly when it holds the batch.
// Implementations must be thread-safe: Apply runs on any ingest thread.
#include <string>
#include <string_view>

#include "common/result.h"

namespace agx {

class BatchAnnex {
 public:
  virtual ~BatchAnnex() = default;
  /// A batch's data, once its lines are applied: live (`replayed` false: the batch was just
  /// logged) or from the WAL after a restart. Data never contains '\n'.
  virtual void Apply(std::string_view data, bool replayed) = 0;
  /// The state to keep in the snapshot.
  virtual std::string Save() const = 0;
  /// Restores a saved state. An error stops the start (a state that cannot be read).
  virtual Status Load(std::string_view state) = 0;
};

}  // namespace agx
