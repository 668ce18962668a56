#pragma once
// FileTailer: follows paths and globs like `tail -F` and hands complete lines to a sink.
//
// Algorithm (per matched file, identified by dev+inode):
// - A file with a saved position (same dev+inode) resumes at its offset; a new file starts
//   at 0 (or at its end when start_at_end and it existed before the tailer started).
// - Each poll re-expands the globs: new matches are opened.
// - At EOF the path is stat'ed: a different inode under the path means rename rotation or
//   delete-and-recreate: the old descriptor is drained to EOF, then the new file is read from
//   0. A size below the offset means copytruncate: read again from 0. A vanished path: the
//   old descriptor is drained and closed.
// - A partial last line is held until its newline arrives (and never delivered alone).
// - Lines longer than max_line_bytes are skipped up to their newline and reported as
//   oversized so the sink can count them.
// - "-" reads standard input (no position, no rotation).
// Confined to the thread that calls Poll()/Run(); the sink is called on that thread.
#include <atomic>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_position.h"

namespace agx {

class TailSink {
 public:
  virtual ~TailSink() = default;
  /// Complete lines (without '\n') read from one file, in order, and `after`: the position
  /// just past the last of them (and past `oversized` skipped long lines). The sink must
  /// record `after` together with the effect of the lines (atomically for exactly-once).
  virtual void OnLines(const FilePosition& after, std::span<const std::string_view> lines,
                       std::size_t oversized) = 0;
  /// Called once when a file is given up (deleted and drained) so the sink can forget it.
  virtual void OnFileClosed(const FilePosition& last) {}
};

struct TailOptions {
  std::vector<std::string> patterns;  ///< paths, globs (glob(3)), or "-" for stdin
  std::chrono::milliseconds poll_interval{250};
  std::size_t max_line_bytes = 1 << 20;
  bool start_at_end = false;
  std::size_t read_chunk_bytes = 1 << 20;
};

struct TailStats {
  std::uint64_t files_opened = 0;
  std::uint64_t rotations = 0;   ///< inode change under a path
  std::uint64_t truncations = 0; ///< copytruncate detected
  std::uint64_t read_errors = 0;
};

class FileTailer {
 public:
  FileTailer(TailOptions options, TailSink* sink);
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  /// Saved positions from the state store; call before the first Poll.
  void Restore(const std::vector<FilePosition>& positions);

  /// Expands the globs, reads everything available now, delivers it. \return bytes read.
  std::size_t Poll();

  /// Polls until `stop` becomes true; sleeps poll_interval when idle.
  void Run(const std::atomic<bool>& stop);

  /// True when "-" is tailed and stdin reached EOF (replay and tests use it).
  bool StdinDone() const;

  TailStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agx
