#include "tail/file_stat.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <atomic>
#include <cerrno>

namespace agx::detail {
namespace {

// Set once statx(2) turned out to be missing (kernels before 4.11, or a seccomp filter that
// refuses it): plain stat(2) from then on, without birth times.
std::atomic<bool> no_statx{false};

std::int64_t Nanos(std::int64_t sec, std::int64_t nsec) { return sec * 1000000000 + nsec; }

// \return 0, the errno, or -1 when statx itself is unavailable.
int Statx(int dirfd, const char* path, int flags, FileStat* out) {
  if (no_statx.load(std::memory_order_relaxed)) return -1;
  struct statx sx {};
  if (statx(dirfd, path, flags | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_BTIME, &sx) !=
      0) {
    if (errno == ENOSYS || errno == EPERM) {
      no_statx.store(true, std::memory_order_relaxed);
      return -1;
    }
    return errno;
  }
  // makedev() gives the st_dev encoding of stat(2): saved positions stay comparable.
  out->id = {static_cast<std::uint64_t>(makedev(sx.stx_dev_major, sx.stx_dev_minor)),
             static_cast<std::uint64_t>(sx.stx_ino)};
  out->size = sx.stx_size;
  out->mtime_ns = Nanos(sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec);
  out->btime_ns =
      (sx.stx_mask & STATX_BTIME) != 0 ? Nanos(sx.stx_btime.tv_sec, sx.stx_btime.tv_nsec) : 0;
  out->regular = S_ISREG(sx.stx_mode);
  return 0;
}

void FromStat(const struct stat& st, FileStat* out) {
  out->id = {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
  out->size = static_cast<std::uint64_t>(st.st_size);
  out->mtime_ns = Nanos(st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  out->btime_ns = 0;
  out->regular = S_ISREG(st.st_mode);
}

}  // namespace

int StatPath(const std::string& path, FileStat* out) {
  int rc = Statx(AT_FDCWD, path.c_str(), 0, out);
  if (rc >= 0) return rc;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return errno;
  FromStat(st, out);
  return 0;
}

int StatFd(int fd, FileStat* out) {
  int rc = Statx(fd, "", AT_EMPTY_PATH, out);
  if (rc >= 0) return rc;
  struct stat st {};
  if (fstat(fd, &st) != 0) return errno;
  FromStat(st, out);
  return 0;
}

}  // namespace agx::detail
