#include "tail/recursive_glob.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace agx::detail {
namespace {

constexpr std::string_view kRecursive = "**";

struct Entry {
  std::string name;
  bool is_dir = false;  // a directory itself, not a symbolic link to one
  bool operator<(const Entry& o) const { return name < o.name; }
};

std::string Join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + '/' + name;
}

bool IsLiteral(const std::string& component) {
  return component.find_first_of("*?[\\") == std::string::npos;
}

// The walk over one pattern. Confined to one ExpandRecursive() call.
class Walker {
 public:
  Walker(std::vector<std::string> comps, std::vector<std::string>* paths,
         std::vector<UnreadableDir>* unreadable)
      : comps_(std::move(comps)), paths_(paths), unreadable_(unreadable) {}

  // Matches comps_[i..] inside `dir`; `depth`: directories the current `**` matched so far.
  void Walk(const std::string& dir, std::size_t i, int depth) {
    const std::string& c = comps_[i];
    if (c == kRecursive) {
      std::vector<Entry> entries;
      if (!List(dir, &entries)) return;
      MatchEntries(dir, entries, i + 1);  // `**` as zero directories
      if (depth >= kMaxRecursiveDepth) return;
      for (const Entry& e : entries) {
        if (e.is_dir && e.name[0] != '.') Walk(Join(dir, e.name), i, depth + 1);
      }
      return;
    }
    if (IsLiteral(c)) {  // no listing needed, as glob(3) does
      Matched(Join(dir, c), i, /*is_dir=*/false);
      return;
    }
    std::vector<Entry> entries;
    if (List(dir, &entries)) MatchEntries(dir, entries, i);
  }

 private:
  void MatchEntries(const std::string& dir, const std::vector<Entry>& entries, std::size_t i) {
    const std::string& c = comps_[i];
    for (const Entry& e : entries) {
      if (fnmatch(c.c_str(), e.name.c_str(), FNM_PERIOD) == 0) {
        Matched(Join(dir, e.name), i, e.is_dir);
      }
    }
  }

  // `path` matched comps_[i].
  void Matched(const std::string& path, std::size_t i, bool is_dir) {
    if (i + 1 < comps_.size()) {
      Walk(path, i + 1, 0);  // not a directory after all: List() skips it silently
    } else if (!is_dir) {
      paths_->push_back(path);
    }
  }

  // Reads a whole directory, sorted, and closes it before anything below it is entered.
  bool List(const std::string& dir, std::vector<Entry>* entries) {
    DIR* d = opendir(dir.empty() ? "." : dir.c_str());
    if (d == nullptr) {
      if (errno != ENOENT && errno != ENOTDIR) Unreadable(dir, errno);
      return false;
    }
    for (;;) {
      errno = 0;
      const dirent* e = readdir(d);
      if (e == nullptr) break;
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {  // file systems that do not fill d_type
        struct stat st {};
        is_dir = lstat(Join(dir, name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      entries->push_back({std::move(name), is_dir});
    }
    const int err = errno;
    closedir(d);
    if (err != 0) {
      Unreadable(dir, err);
      return false;
    }
    std::sort(entries->begin(), entries->end());
    return true;
  }

  void Unreadable(const std::string& dir, int err) {
    unreadable_->push_back({dir.empty() ? "." : dir, std::strerror(err)});
  }

  const std::vector<std::string> comps_;
  std::vector<std::string>* paths_;
  std::vector<UnreadableDir>* unreadable_;
};

}  // namespace

bool IsRecursivePattern(std::string_view pattern) {
  for (std::size_t start = 0; start <= pattern.size();) {
    std::size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    if (pattern.substr(start, end - start) == kRecursive) return true;
    start = end + 1;
  }
  return false;
}

void ExpandRecursive(const std::string& pattern, std::vector<std::string>* paths,
                     std::vector<UnreadableDir>* unreadable) {
  std::vector<std::string> comps;
  for (std::size_t start = 0; start < pattern.size();) {
    std::size_t end = pattern.find('/', start);
    if (end == std::string::npos) end = pattern.size();
    std::string c = pattern.substr(start, end - start);
    start = end + 1;
    if (c.empty()) continue;  // "a//b" is "a/b"
    if (c == kRecursive && !comps.empty() && comps.back() == kRecursive) continue;
    comps.push_back(std::move(c));
  }
  if (comps.empty()) return;
  if (comps.back() == kRecursive) comps.emplace_back("*");
  const std::size_t first = paths->size();
  Walker(std::move(comps), paths, unreadable).Walk(pattern[0] == '/' ? "/" : "", 0, 0);
  // Sorted and unique like glob(3)'s list (several `**` can reach one path twice).
  std::sort(paths->begin() + static_cast<std::ptrdiff_t>(first), paths->end());
  paths->erase(std::unique(paths->begin() + static_cast<std::ptrdiff_t>(first), paths->end()),
               paths->end());
}

}  // namespace agx::detail
