#pragma once
// FileTailer: follows paths and globs like `tail -F` and hands complete lines to a sink.
//
// Algorithm (per matched file, identified by dev+inode; after mtail's filestream):
// - A file with a saved position (same dev+inode) resumes at its offset, or at 0 when it is
//   now shorter than that offset (truncated while we were down; counted as a truncation).
//   A new file starts at 0, or, with start_at_end, at the start of its unterminated last
//   line (else its end) when it existed at the first Poll() and no saved position names
//   its path. Files appearing later always start at 0.
// - Scans expand the globs (glob(3); a `**` component matches zero or more directories,
//   recursive_glob.h); a file matched by several patterns or paths is read once. A scan
//   runs at the first poll and then every scan_interval; in between, each poll checks only
//   the files it knows (one stat of each path), and scans at once when one of them is no
//   longer under its path (renamed, deleted, replaced), so rotation is handled at the poll
//   interval while new files are found within scan_interval. A file renamed to another
//   matched name (`app.log*` matching app.log.1) is continued by identity under its new
//   path, never re-read.
// - A file no longer matched (renamed away, deleted, or replaced by another inode under its
//   path: rename rotation, delete-and-recreate) is drained to EOF through its open
//   descriptor (lines reported with its identity and last seen path), closed and reported
//   via OnFileClosed(), before its successor is read from 0. A size below the read offset
//   means copytruncate: read again from 0. A file that vanishes and re-appears is new.
// - At most max_open_files files are open. Beyond it, the open file that has not grown for
//   the longest time (preferring files read to their end) is closed ("parked") before
//   another is opened; it keeps its identity, offset and held partial line. Each poll
//   stats a parked file's path: when the file there has the same identity and its size or
//   mtime differ from what was read, it is opened again (its dev+inode, and its birth time
//   where the file system records one, must match: otherwise it is another file, handled
//   by a scan) and read on from where it was, so nothing is read twice or skipped. A
//   parked file that vanishes is reported via OnFileClosed() like an open one; lines
//   appended to it in its last poll interval before it was renamed to a name no pattern
//   matches, or deleted, cannot be drained (it is not open).
// - A partial last line is held until its newline arrives (and never delivered alone). When
//   a file is closed (or stdin ends) an unterminated last line is dropped with a warning;
//   the position stays before it.
// - Lines are the bytes before each '\n': empty lines are delivered as empty views and a
//   '\r' is kept; the sink decides what they mean.
// - Lines longer than max_line_bytes (without the '\n') are skipped up to their newline,
//   without buffering them, and reported as oversized so the sink can count them.
// - Container logs (TailOptions::container_log): between the splitter and the sink a
//   ContainerLogDecoder (container_log_decoder.h) unwraps CRI or Docker json-file records and
//   joins split lines; the position handed to the sink is then never inside a split line
//   (the start of its first record), so a restart reads it again whole.
// - "-" reads standard input (path "-", dev/ino 0, offset = bytes consumed; no rotation,
//   no Restore, no OnFileClosed).
// - Errors (open, stat, read) do not stop other files: each failed attempt increments
//   stats().read_errors, and one warning is logged per file until it is read again.
//   Matches that are not regular files (directories) are ignored with one warning; a
//   directory a `**` pattern cannot read is skipped, counted in read_errors at each scan
//   and logged once until it is readable again.
// Confined to the thread that calls Poll()/Run(); the sink is called on that thread.
// stats() alone may be called from any thread (atomic counters).
#include <atomic>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_position.h"
#include "tail/container_record.h"

namespace agx {

class TailSink {
 public:
  virtual ~TailSink() = default;
  /// Complete lines (without '\n') read from one file, in order, and `after`: the position
  /// just past the last of them (and past `oversized` skipped long lines). The sink must
  /// record `after` together with the effect of the lines (atomically for exactly-once).
  /// The views point into the tailer's buffers and are valid only during the call.
  virtual void OnLines(const FilePosition& after, std::span<const std::string_view> lines,
                       std::size_t oversized) = 0;
  /// Called once when a file is given up (no longer matched: deleted or rotated away, and
  /// drained) so the sink can forget it.
  virtual void OnFileClosed(const FilePosition& last) {}
};

struct TailOptions {
  /// Paths, globs (glob(3), plus `**` for any number of directories), or "-" for stdin.
  std::vector<std::string> patterns;
  std::chrono::milliseconds poll_interval{250};
  std::size_t max_line_bytes = 1 << 20;
  bool start_at_end = false;
  std::size_t read_chunk_bytes = 1 << 20;
  /// Most files open at once (at least 1); more matched files are parked while idle.
  std::size_t max_open_files = 256;
  /// How often the patterns are expanded to find new files; polls in between check only
  /// the known files. Not more often than poll_interval in Run(); 0: at every Poll().
  std::chrono::milliseconds scan_interval{1000};
  /// Container log files: each line is a record of this format around the line the
  /// container printed (container_log_decoder.h). Lines handed to the sink are the joined
  /// payloads that start with '{'; max_line_bytes bounds them after joining. Matches
  /// ending in ".gz" or ".gz.tmp" (rotated, compressed copies) are ignored.
  ContainerLogFormat container_log = ContainerLogFormat::kNone;
};

struct TailStats {
  std::uint64_t files_opened = 0;
  std::uint64_t rotations = 0;    ///< inode change under a path
  std::uint64_t truncations = 0;  ///< copytruncate detected
  std::uint64_t read_errors = 0;
  std::uint64_t scans = 0;           ///< expansions of the patterns
  std::uint64_t files_reopened = 0;  ///< parked files opened again because they changed
  // Container logs only (TailOptions::container_log): lines skipped, not handed to the sink.
  std::uint64_t skipped_not_json = 0;      ///< payload not starting with '{' (app output)
  std::uint64_t skipped_bad_records = 0;   ///< records not in the container log format
  std::uint64_t skipped_unterminated = 0;  ///< files closed with a split line unfinished
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
