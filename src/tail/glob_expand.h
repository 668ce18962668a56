#pragma once
// Glob expansion for the tailer: patterns -> the regular files they match now.
// Patterns with a `**` component are walked by recursive_glob.h, the others by glob(3).
// Stateless and thread-compatible (glob(3), readdir(3) and stat(2) only).
#include <cstdint>
#include <string>
#include <vector>

#include "tail/recursive_glob.h"

namespace agx::detail {

struct FileId {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  auto operator<=>(const FileId&) const = default;
};

struct MatchedFile {
  std::string path;
  FileId id;
};

struct Expansion {
  std::vector<MatchedFile> files;        ///< regular files, each identity once, pattern order
  std::vector<std::string> non_regular;  ///< matches that are not regular files (ignored)
  std::vector<std::string> errors;       ///< patterns glob(3) failed on, with the reason
  std::vector<UnreadableDir> unreadable;  ///< directories a `**` pattern could not read
};

/// Expands each pattern with glob(3), or recursive_glob.h when it has a `**` component
/// (sorted matches either way), and stat(2)s the results, following symlinks. A file matched by several patterns or paths is listed once, under the first
/// path found. "-" is skipped (it is standard input, not a file).
Expansion ExpandPatterns(const std::vector<std::string>& patterns);

}  // namespace agx::detail
