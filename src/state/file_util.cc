#include "state/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace agx::state_detail {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

int UniqueFd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string ErrnoMessage(std::string_view what, std::string_view path) {
  std::string m(what);
  m.append(" ").append(path).append(": ").append(std::strerror(errno));
  return m;
}

Status WriteAllAt(int fd, std::string_view data, std::uint64_t offset, std::string_view path) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::pwrite(fd, p, left, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{ErrnoMessage("write", path)};
    }
    if (n == 0) {
      errno = EIO;
      return Error{ErrnoMessage("write", path)};
    }
    p += n;
    left -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return OkStatus();
}

Status FsyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Error{ErrnoMessage("open directory", dir)};
  if (::fsync(fd.get()) != 0) return Error{ErrnoMessage("fsync directory", dir)};
  return OkStatus();
}

Status MakeDirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"create directory " + dir + ": " + ec.message()};
  if (!std::filesystem::is_directory(dir, ec)) return Error{dir + " is not a directory"};
  return OkStatus();
}

Result<std::string> ReadWholeFile(const std::string& path, bool* missing) {
  *missing = false;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      *missing = true;
      return std::string();
    }
    return Error{ErrnoMessage("open", path)};
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error{ErrnoMessage("stat", path)};
  if (!S_ISREG(st.st_mode)) return Error{path + " is not a regular file"};
  std::string out;
  out.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{ErrnoMessage("read", path)};
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace agx::state_detail
