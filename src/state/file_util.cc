#include "state/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
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

namespace {

// Reads `fd` to its end; `size_hint` (the file's size) sizes the buffer.
Result<std::string> ReadAll(int fd, std::size_t size_hint, const std::string& path) {
  std::string out;
  out.reserve(size_hint);
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{ErrnoMessage("read", path)};
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// What a file that is not a regular file is, for the error message.
const char* KindOf(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}

std::string NotRegular(const std::string& path, mode_t mode) {
  return path + " is " + KindOf(mode) +
         ", not a regular file: refusing to open it (agent_exporter never follows links or "
         "opens anything but regular files in its state directory; move it away)";
}

}  // namespace

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
  return ReadAll(fd.get(), static_cast<std::size_t>(st.st_size), path);
}

Result<UniqueFd> OpenStateFile(const std::string& path, int flags, unsigned mode, bool* missing) {
  if (missing != nullptr) *missing = false;
  const bool truncate = (flags & O_TRUNC) != 0;
  UniqueFd fd(::open(path.c_str(), (flags & ~O_TRUNC) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                     static_cast<mode_t>(mode)));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ENOENT && missing != nullptr && (flags & O_CREAT) == 0) {
      *missing = true;
      return UniqueFd();
    }
    // ELOOP (a link), ENXIO (a FIFO without reader, a socket), EISDIR: say what is there.
    struct stat lst {};
    if (::lstat(path.c_str(), &lst) == 0 && !S_ISREG(lst.st_mode)) {
      return Error{NotRegular(path, lst.st_mode)};
    }
    errno = err;
    return Error{ErrnoMessage("open", path)};
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error{ErrnoMessage("stat", path)};
  if (!S_ISREG(st.st_mode)) return Error{NotRegular(path, st.st_mode)};
  const int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) != 0) {
    return Error{ErrnoMessage("fcntl", path)};
  }
  if (truncate) {
    // A file replaced from scratch must be ours alone: writing it would change every name.
    if (st.st_nlink > 1) {
      return Error{path + " has " + std::to_string(st.st_nlink) +
                   " hard links: refusing to truncate and rewrite it (that would change the "
                   "other names too; the files agent_exporter creates have one)"};
    }
    if (st.st_size > 0 && ::ftruncate(fd.get(), 0) != 0) {
      return Error{ErrnoMessage("truncate", path)};
    }
  }
  return fd;
}

Result<std::string> ReadStateFile(const std::string& path, bool* missing) {
  auto fd = OpenStateFile(path, O_RDONLY, 0, missing);
  if (!fd.ok()) return Error{fd.error()};
  if (*missing) return std::string();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return Error{ErrnoMessage("stat", path)};
  return ReadAll(fd->get(), static_cast<std::size_t>(st.st_size), path);
}

}  // namespace agx::state_detail
