#pragma once
// Helpers for the tailer tests: a temporary directory, file writes, and a sink that records
// every delivery. Real files only; no sleeps (tests call Poll() directly).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tail/file_tailer.h"

namespace agx::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "agx_tail_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string Path(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << text;
}

inline void Truncate(const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
}

inline std::pair<std::uint64_t, std::uint64_t> IdOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return {0, 0};
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

inline std::uint64_t SizeOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

/// Descriptors this process has open now (each entry of /proc/self/fd).
inline std::size_t OpenFdCount() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

/// The paths of the files this process has open now.
inline std::set<std::string> OpenFilePaths() {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    auto target = std::filesystem::read_symlink(e.path(), ec);
    if (!ec) out.insert(target.string());
  }
  return out;
}

/// Records every line and position. Thread-safe (Run() tests read it from another thread).
class RecordingSink : public TailSink {
 public:
  using Id = std::pair<std::uint64_t, std::uint64_t>;

  void OnLines(const FilePosition& after, std::span<const std::string_view> lines,
               std::size_t oversized) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    oversized_ += oversized;
    for (std::string_view l : lines) {
      lines_.emplace_back(l);
      paths_.push_back(after.path);
    }
    last_[{after.dev, after.ino}] = after;
  }
  void OnFileClosed(const FilePosition& last) override {
    std::lock_guard<std::mutex> lock(mu_);
    closed_.push_back(last);
  }

  std::vector<std::string> lines() const { return Locked(lines_); }
  std::vector<std::string> paths() const { return Locked(paths_); }
  std::vector<FilePosition> closed() const { return Locked(closed_); }
  std::size_t oversized() const { return Locked(oversized_); }
  std::size_t calls() const { return Locked(calls_); }
  /// The last position reported for the file with this identity (offset 0 if none).
  FilePosition Last(Id id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = last_.find(id);
    return it == last_.end() ? FilePosition{} : it->second;
  }
  /// Every file's last position, as a state store would save them.
  std::vector<FilePosition> Positions() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<FilePosition> out;
    for (const auto& [id, pos] : last_) out.push_back(pos);
    return out;
  }

 private:
  template <class T>
  T Locked(const T& v) const {
    std::lock_guard<std::mutex> lock(mu_);
    return v;
  }
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  std::vector<std::string> paths_;
  std::vector<FilePosition> closed_;
  std::map<Id, FilePosition> last_;
  std::size_t oversized_ = 0;
  std::size_t calls_ = 0;
};

/// Options for tests that call Poll() back to back: every Poll() scans for new files
/// (scan_interval 0), so that a file created between two polls is found by the second.
inline TailOptions Options(std::vector<std::string> patterns) {
  TailOptions o;
  o.patterns = std::move(patterns);
  o.scan_interval = std::chrono::milliseconds(0);
  return o;
}

using Lines = std::vector<std::string>;

}  // namespace agx::testing
