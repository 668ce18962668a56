#include "tail/glob_expand.h"

#include <glob.h>

#include <set>

namespace agx::detail {
namespace {

void Add(const std::string& path, std::set<FileId>* seen, Expansion* out) {
  FileStat st;
  if (StatPath(path, &st) != 0) return;  // vanished since it was listed
  if (!st.regular) {
    out->non_regular.push_back(path);
    return;
  }
  if (seen->insert(st.id).second) out->files.push_back({path, st});
}

}  // namespace

Expansion ExpandPatterns(const std::vector<std::string>& patterns) {
  Expansion out;
  std::set<FileId> seen;
  for (const std::string& pattern : patterns) {
    if (pattern == "-") continue;
    if (IsRecursivePattern(pattern)) {
      std::vector<std::string> paths;
      ExpandRecursive(pattern, &paths, &out.unreadable);
      for (const std::string& path : paths) Add(path, &seen, &out);
      continue;
    }
    glob_t g{};
    int rc = glob(pattern.c_str(), 0, nullptr, &g);
    if (rc == GLOB_NOSPACE) {
      out.errors.push_back(pattern + ": out of memory");
    } else if (rc == GLOB_ABORTED) {
      out.errors.push_back(pattern + ": read error");
    } else if (rc == 0) {
      for (std::size_t i = 0; i < g.gl_pathc; ++i) Add(g.gl_pathv[i], &seen, &out);
    }
    globfree(&g);
  }
  return out;
}

}  // namespace agx::detail
