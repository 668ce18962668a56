#pragma once
// FilePosition: how far a tailed file has been applied, with the file's identity so that a
// restart resumes the same file (not whatever now has its name). A plain value type.
#include <cstdint>
#include <string>

namespace agx {

struct FilePosition {
  std::string path;        ///< the path it was last seen under
  std::uint64_t dev = 0;   ///< st_dev
  std::uint64_t ino = 0;   ///< st_ino
  std::uint64_t offset = 0;  ///< byte offset just past the last applied complete line

  bool SameFile(const FilePosition& o) const { return dev == o.dev && ino == o.ino; }
  bool operator==(const FilePosition&) const = default;
};

}  // namespace agx
