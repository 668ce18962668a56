#pragma once
// StateSection: state a source keeps beside the metrics that the snapshot must hold
// consistently with them, saved under its own name in state.json ("sections"). Unlike a
// BatchAnnex (batch_annex.h) it is never logged in the write-ahead log: it belongs to a
// tailed source, whose lines are read again from the saved position after a restart. The
// source changes it only while it holds Pipeline::ApplyLock(), so Save (called by
// Pipeline::Capture under the exclusive lock) sees it exactly as of the saved positions.
#include <string>
#include <string_view>

#include "common/result.h"

namespace agx {

class StateSection {
 public:
  virtual ~StateSection() = default;
  /// The state to keep in the snapshot.
  virtual std::string Save() const = 0;
  /// Restores a saved state. An error stops the start (a state that cannot be read).
  virtual Status Load(std::string_view state) = 0;
};

}  // namespace agx
