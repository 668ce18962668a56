#pragma once
// ContainerLogDecoder: turns the records of one container log file (container_record.h) back
// into the lines the container printed, for one tailed source, between its LineSplitter and
// the sink.
//
// - A line split into partial records (CRI `P`…`F`, json-file `log` without "\n") is joined
//   per stream: stdout and stderr records may interleave in one file.
// - Lines are bounded by max_line_bytes after joining: the pieces of a longer line are not
//   kept, and the line is counted once, as oversized, when its last record arrives.
// - Only lines that start with '{' (after whitespace) are handed on as payload: the others
//   are the application's ordinary output, counted as not_json. A record that is not in the
//   format is counted as bad and skipped.
// - Exactly-once positions. The position handed to the sink (Output::offset) is a record
//   boundary that no unfinished line spans: the end of the last record when no line is
//   open, else the start of the first record of the oldest open line ("group start").
//   While a line is open, lines of the other stream that complete are held (not handed on)
//   until every open line has ended, so that everything handed on lies before the position
//   and everything after it is read again, whole, after a restart. Held lines are bounded
//   by max_line_bytes together; one that does not fit is counted as oversized.
// - Counts of lines that ended inside a group are handed on with the group too.
//
// Not thread-safe: owned by one FileTailer source, used on the tailer's thread.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tail/container_record.h"
#include "tail/line_splitter.h"

namespace agx::detail {

class ContainerLogDecoder {
 public:
  struct Output {
    std::vector<std::string_view> lines;  ///< payload lines, valid until the next Decode
    std::uint64_t offset = 0;             ///< position past everything handed on
    std::size_t oversized = 0;            ///< lines over max_line_bytes (and such records)
    std::size_t not_json = 0;             ///< lines that do not start with '{'
    std::size_t bad_records = 0;          ///< records not in the format
  };

  /// `offset`: where reading starts (the first record's start).
  ContainerLogDecoder(ContainerLogFormat format, std::size_t max_line_bytes,
                      std::uint64_t offset);

  /// The lines of a chunk read at file offset `chunk_start`, as LineSplitter::Split gave
  /// them with their `ends`. Fills `*out` (cleared first).
  void Decode(std::uint64_t chunk_start, std::span<const std::string_view> lines,
              std::span<const LineSplitter::LineEnd> ends, Output* out);

  /// Forgets open and held lines; reading goes on at `offset` (copytruncate).
  void Reset(std::uint64_t offset);

  /// Lines begun but not ended (and lines held behind them): dropped if the file closes.
  bool pending() const { return group_open_; }

  /// Frees spare buffer capacity (for a parked file).
  void Compact();

 private:
  struct Stream {
    std::string text;  // the joined pieces so far (empty when too_long)
    bool open = false;
    bool too_long = false;
  };
  struct Counts {
    std::size_t oversized = 0, not_json = 0, bad = 0;
  };
  // An output line: a view into the caller's lines, or a range of out_text_.
  struct Piece {
    std::string_view view;
    std::size_t off = 0, len = 0;
    bool owned = false;
  };

  void Record(std::uint64_t start, std::string_view line, bool oversized);
  void Finish(std::string_view content, bool too_long, bool borrowed);
  void CloseGroup();
  Counts& counts() { return group_open_ ? held_counts_ : direct_counts_; }

  ContainerLogFormat format_;
  std::size_t max_line_bytes_;
  std::uint64_t last_end_;  // file offset past the last record
  Stream streams_[2];       // stdout, stderr
  bool group_open_ = false;
  std::uint64_t group_start_ = 0;
  std::string held_text_;
  std::vector<std::pair<std::size_t, std::size_t>> held_ranges_;
  Counts held_counts_;
  Counts direct_counts_;
  std::string scratch_;   // an unescaped json-file `log`
  std::string out_text_;  // owned output lines of the current Decode
  std::vector<Piece> pieces_;
};

}  // namespace agx::detail
