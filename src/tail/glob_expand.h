#pragma once
// Glob expansion for the tailer: patterns -> the regular files they match now.
// Patterns with a `**` component are walked by recursive_glob.h, the others by glob(3).
// Stateless and thread-compatible (glob(3), readdir(3) and stat(2) only).
#include <cstdint>
#include <string>
#include <vector>

#include "tail/file_stat.h"
#include "tail/recursive_glob.h"

namespace agx::detail {

struct MatchedFile {
  std::string path;
  FileStat stat;  ///< of the path at expansion time (identity, size, times)
};

struct Expansion {
  std::vector<MatchedFile> files;         ///< regular files, each identity once, pattern order
  std::vector<std::string> non_regular;   ///< matches that are not regular files (ignored)
  std::vector<std::string> errors;        ///< patterns glob(3) failed on, with the reason
  std::vector<UnreadableDir> unreadable;  ///< directories a `**` pattern could not read
};

/// Expands each pattern with glob(3), or recursive_glob.h when it has a `**` component
/// (sorted matches either way), and stat(2)s the results (StatPath), following symlinks. A file
/// matched by several patterns or paths is listed once, under the first path found. "-" is skipped
/// (it is standard input, not a file).
Expansion ExpandPatterns(const std::vector<std::string>& patterns);

}  // namespace agx::detail
