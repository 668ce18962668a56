#pragma once
// LineSplitter: turns a stream of read chunks into complete lines, for one source.
//
// A line is the bytes before a '\n' (the '\n' is not part of it; a '\r' before it is kept:
// the consumer decides). Empty lines are returned as empty views. The last, unterminated
// piece of a chunk is held until a later chunk completes it. A line longer than
// max_line_bytes is not buffered: its bytes are discarded up to its '\n' and it is counted
// as oversized. Memory per splitter is therefore bounded by about 2 * max_line_bytes.
//
// Not thread-safe: owned by one FileTailer source and used on the tailer's thread.
#include <cstddef>
#include <string_view>
#include <vector>

namespace agx::detail {

class LineSplitter {
 public:
  struct Result {
    std::size_t complete_bytes = 0;  ///< bytes of the chunk up to and including its last '\n'
    std::size_t oversized = 0;       ///< lines longer than max_line_bytes that ended here
    bool any_newline = false;        ///< the chunk held at least one '\n'
  };

  /// Where a line ended in the chunk, for a consumer that needs each line's position (the
  /// container log decoder saves offsets inside a chunk).
  struct LineEnd {
    std::size_t end = 0;     ///< chunk offset just past the line's '\n'
    bool oversized = false;  ///< skipped as longer than max_line_bytes: not in `lines`
  };

  explicit LineSplitter(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  /// Splits `chunk`, continuing the held partial line. `lines` is cleared and filled with
  /// the completed lines; the views point into `chunk` or into this splitter and stay valid
  /// until the next call to Split() or Reset(). `ends`, when given, is cleared and gets one
  /// entry per line ended in this chunk, oversized ones included, in order.
  Result Split(std::string_view chunk, std::vector<std::string_view>* lines,
               std::vector<LineEnd>* ends = nullptr);

  /// Drops the held partial line (or the oversized line being skipped).
  void Reset();

  /// Frees the memory not needed to continue: the previous chunk's buffer kept for the views
  /// of the last Split() (which must no longer be used) and the partial line's spare
  /// capacity. For a file set aside while idle, so that thousands of them hold no buffers.
  void Compact();

  /// Bytes read after the last complete line: the held partial line, or the bytes of the
  /// oversized line skipped so far.
  std::size_t pending_bytes() const { return skipping_ ? skipped_ : partial_.size(); }

 private:
  std::size_t max_line_bytes_;
  // Vectors, not strings: swap() must keep each heap buffer in place (no small-string
  // buffer inside the object) so a view of the previous partial_ survives the swap.
  std::vector<char> partial_;  // unterminated tail of the previous chunks (when not skipping)
  std::vector<char> spare_;    // previous partial_, kept alive for views handed out by Split()
  bool skipping_ = false;
  std::size_t skipped_ = 0;  // bytes of the current oversized line discarded so far
};

}  // namespace agx::detail
