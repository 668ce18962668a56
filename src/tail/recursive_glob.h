#pragma once
// Recursive patterns for the tailer: a `**` path component matches zero or more directories
// (as in fluent-bit, doublestar, rsync and bash's globstar), so that one pattern such as
// `~/.claude/projects/**/*.jsonl` finds every session file below a root, at any depth,
// including directories created later (each expansion walks the tree again).
//
// Rules (the other components keep glob(3) semantics, so a pattern without `**` is never
// handed here):
// - `**` must be a whole component; `a**` or `**b` is an ordinary glob (like `*`).
//   Consecutive `**` components are one; a trailing `**` means `**/*` (every file below).
// - `**` matches at most kMaxRecursiveDepth directories (a file deeper than that below
//   the `**` is not found), and like `*` never a name that begins with '.'.
// - `**` does not descend into symbolic links to directories (as bash's globstar since
//   4.3, and Go's WalkDir): a link loop cannot make the walk endless, and a file is not
//   found twice through a link. Links in the components before `**` (a linked root such
//   as ~/.claude -> /data/claude) and links to files are followed.
// - A directory that cannot be read (permissions) is skipped and reported; one that does
//   not exist or is not a directory is skipped silently.
// - The matches are sorted (strcmp order, as glob(3) in the C locale) and unique; a final
//   component that matches a directory is left out: directories are what `**` walks.
// - The walk holds one directory descriptor at a time (each directory is read whole and
//   closed before its subdirectories are entered).
// Stateless and thread-compatible (opendir/readdir/lstat/fnmatch only).
#include <string>
#include <string_view>
#include <vector>

namespace agx::detail {

/// Most directories one `**` component matches.
inline constexpr int kMaxRecursiveDepth = 16;

struct UnreadableDir {
  std::string path;
  std::string error;  ///< strerror of opendir/readdir
};

/// True when `pattern` has a `**` component.
bool IsRecursivePattern(std::string_view pattern);

/// Walks the directories `pattern` can match and appends the sorted, unique paths it
/// matches to `paths` (not yet stat()ed: they may be anything but directories) and each
/// directory that could not be read to `unreadable`.
void ExpandRecursive(const std::string& pattern, std::vector<std::string>* paths,
                     std::vector<UnreadableDir>* unreadable);

}  // namespace agx::detail
