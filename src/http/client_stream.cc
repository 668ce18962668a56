#include "http/client_stream.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace agx::http_internal {

ClientStream::~ClientStream() {
  if (fd_ >= 0) ::close(fd_);
}

Io ClientStream::Read(char* buf, std::size_t cap, std::size_t* n) {
  for (;;) {
    const ssize_t got = ::recv(fd_, buf, cap, 0);
    if (got > 0) {
      *n = static_cast<std::size_t>(got);
      return Io::kOk;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Io::kWantRead;
    return Io::kClosed;
  }
}

Io ClientStream::Write(const char* buf, std::size_t len, std::size_t* n) {
  for (;;) {
    const ssize_t put = ::send(fd_, buf, len, MSG_NOSIGNAL);
    if (put > 0) {
      *n = static_cast<std::size_t>(put);
      return Io::kOk;
    }
    if (put < 0 && errno == EINTR) continue;
    if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Io::kWantWrite;
    return Io::kClosed;
  }
}

}  // namespace agx::http_internal
