#include "state/state_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "state/file_util.h"
#include "state/state_json.h"

namespace agx {

using state_detail::ErrnoMessage;
using state_detail::UniqueFd;

namespace {

constexpr const char* kStateFile = "state.json";
constexpr const char* kTmpFile = "state.json.tmp";

// Saves share one temporary file name; serialize them within the process. (One process per
// state dir is enforced by the WAL's lock file.)
std::mutex& SaveMutex() {
  static std::mutex mu;
  return mu;
}

// Writes `data` to `path` (truncating) and fsyncs it. A link, FIFO or other non-regular
// file planted under the temporary name is refused, never followed (OpenStateFile).
Status WriteDurably(const std::string& path, std::string_view data) {
  auto opened = state_detail::OpenStateFile(path, O_WRONLY | O_CREAT | O_TRUNC);
  if (!opened.ok()) return Error{"state: " + opened.error()};
  UniqueFd fd = std::move(opened.value());
  if (auto st = state_detail::WriteAllAt(fd.get(), data, 0, path); !st.ok()) {
    return Error{"state: " + st.error()};
  }
  if (::fsync(fd.get()) != 0) return Error{ErrnoMessage("state: fsync", path)};
  int raw = fd.release();
  if (::close(raw) != 0) return Error{ErrnoMessage("state: close", path)};
  return OkStatus();
}

}  // namespace

StateStore::StateStore(std::string dir) : dir_(std::move(dir)) {}

Status StateStore::Init() const {
  if (auto st = state_detail::MakeDirs(dir_); !st.ok()) return Error{"state: " + st.error()};
  // Probe with a real create: access(W_OK) says yes to root on a read-only mount.
  std::lock_guard<std::mutex> lock(SaveMutex());
  std::string tmp = dir_ + "/" + kTmpFile;
  auto fd = state_detail::OpenStateFile(tmp, O_WRONLY | O_CREAT | O_TRUNC);
  if (!fd.ok()) return Error{"state: " + fd.error()};
  fd->reset();
  ::unlink(tmp.c_str());
  return OkStatus();
}

Status StateStore::Save(const PersistedState& state) const {
  if (auto v = state_detail::ValidateState(state); !v.ok()) {
    return Error{"state: refusing to save inconsistent metrics: " + v.error()};
  }
  std::string text = state_detail::StateToJson(state);
  std::string tmp = dir_ + "/" + kTmpFile;
  std::string final_path = dir_ + "/" + kStateFile;
  std::lock_guard<std::mutex> lock(SaveMutex());
  if (auto st = WriteDurably(tmp, text); !st.ok()) return st;
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    return Error{ErrnoMessage("state: rename " + tmp + " to", final_path)};
  }
  if (auto st = state_detail::FsyncDir(dir_); !st.ok()) return Error{"state: " + st.error()};
  return OkStatus();
}

Result<std::optional<PersistedState>> StateStore::Load() const {
  // A leftover state.json.tmp is an interrupted Save: the rename never happened, so
  // state.json is the last complete state. It is never read.
  std::string path = dir_ + "/" + kStateFile;
  bool missing = false;
  auto text = state_detail::ReadStateFile(path, &missing);
  if (!text.ok()) return Error{"state: " + text.error()};
  if (missing) return std::optional<PersistedState>();
  if (text->empty()) return Error{"state: " + path + " is empty"};
  auto st = state_detail::StateFromJson(*text);
  if (!st.ok()) return Error{"state: " + path + ": " + st.error()};
  return std::optional<PersistedState>(std::move(*st));
}

}  // namespace agx
