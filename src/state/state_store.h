#pragma once
// StateStore: persists and restores everything needed for exactly-once counting across
// restarts: metric values (with exemplars), tail positions with file identity, the last WAL
// sequence applied, and the sliding windows. The file is written to a temporary name,
// fsync'ed and renamed over `state.json`, then the directory is fsync'ed: a crash leaves
// either the old or the new state, never a torn one.
// Save refuses a state whose metrics break the Snapshot invariants (label values vs names,
// histogram buckets vs bounds), so that Load never rejects a file this process wrote.
// Thread-safe: stateless apart from the path; Saves in one process are serialized because
// they share the temporary file name.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/file_position.h"
#include "common/result.h"
#include "registry/sliding_window.h"
#include "registry/snapshot.h"

namespace agx {

struct PersistedState {
  int version = 1;
  double saved_at = 0;  ///< Unix seconds
  Snapshot metrics;
  std::vector<FilePosition> files;
  std::uint64_t wal_seq = 0;
  WindowSnapshot windows;
  std::string annex;  ///< the pipeline annex's state (ingest/batch_annex.h); may be empty
  /// State sections of tailed sources (ingest/state_section.h), by name.
  std::map<std::string, std::string> sections;
};

class StateStore {
 public:
  explicit StateStore(std::string dir);

  /// Creates the directory if needed and checks it is writable.
  Status Init() const;
  /// Atomically replaces the saved state.
  Status Save(const PersistedState& state) const;
  /// \return the saved state, std::nullopt when there is none, or an error when it is
  /// unreadable (the caller refuses to start rather than silently reset counters).
  Result<std::optional<PersistedState>> Load() const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace agx
