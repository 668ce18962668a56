#include "http/relay.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

namespace agx::http_internal {
namespace {

using Clock = std::chrono::steady_clock;

// Per direction: 1024 relayed connections (the default bound) then hold 64 MiB of buffers.
constexpr std::size_t kBufferBytes = 32 * 1024;
// A relayed connection with no byte moving either way for this long is closed. civetweb's
// own request and keep-alive timeouts normally close the backend side much earlier.
constexpr auto kIdleLimit = std::chrono::minutes(5);

short EventsFor(Io io) { return io == Io::kWantWrite ? POLLOUT : POLLIN; }

// Bytes read from one side, not yet written to the other. Filled only when empty, so
// reads and writes go straight to and from it, with no copy in between.
struct Pending {
  explicit Pending(std::size_t capacity) : data(new char[capacity]), cap(capacity) {}
  bool empty() const { return off == len; }
  const char* begin() const { return data.get() + off; }
  std::size_t size() const { return len - off; }
  std::unique_ptr<char[]> data;
  std::size_t cap, off = 0, len = 0;
};

}  // namespace

void Relay(ClientStream& client, int backend_fd, std::string to_backend_first,
           const std::atomic<bool>& stopping, int wake_fd) {
  Pending up(std::max(kBufferBytes, to_backend_first.size()));  // client -> backend
  Pending down(kBufferBytes);                                    // backend -> client
  std::memcpy(up.data.get(), to_backend_first.data(), to_backend_first.size());
  up.len = to_backend_first.size();
  to_backend_first = std::string();  // (its memory is not needed any more)
  bool client_done = false, backend_done = false, backend_write_closed = false;
  auto last_progress = Clock::now();
  while (!stopping.load()) {
    bool progress = false;
    short client_events = 0, backend_events = 0;
    // Client -> backend. A TLS stream may hold decrypted bytes poll() cannot see, so the
    // client is read whenever there is room, before waiting.
    if (!client_done && up.empty()) {
      std::size_t n = 0;
      const Io io = client.Read(up.data.get(), up.cap, &n);
      if (io == Io::kOk) {
        up.off = 0;
        up.len = n;
        progress = true;
      } else if (io == Io::kClosed) {
        client_done = true;  // close_notify, a reset, or a bad record
      } else {
        client_events |= EventsFor(io);
      }
    }
    if (!up.empty()) {
      const ssize_t n = ::send(backend_fd, up.begin(), up.size(), MSG_NOSIGNAL);
      if (n > 0) {
        up.off += static_cast<std::size_t>(n);
        progress = true;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        backend_events |= POLLOUT;
      } else {
        return;  // civetweb closed the connection
      }
    }
    if (client_done && up.empty() && !backend_write_closed) {
      ::shutdown(backend_fd, SHUT_WR);  // let civetweb finish answering, then it closes
      backend_write_closed = true;
    }
    // Backend -> client.
    if (!backend_done && down.empty()) {
      const ssize_t n = ::recv(backend_fd, down.data.get(), down.cap, 0);
      if (n > 0) {
        down.off = 0;
        down.len = static_cast<std::size_t>(n);
        progress = true;
      } else if (n == 0) {
        backend_done = true;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        backend_events |= POLLIN;
      } else {
        backend_done = true;
      }
    }
    if (!down.empty()) {
      std::size_t n = 0;
      const Io io = client.Write(down.begin(), down.size(), &n);
      if (io == Io::kOk) {
        down.off += n;
        progress = true;
      } else if (io == Io::kClosed) {
        return;  // the client is gone
      } else {
        client_events |= EventsFor(io);
      }
    }
    if (backend_done && down.empty()) return;
    if (progress) {
      last_progress = Clock::now();
      continue;
    }
    if (Clock::now() - last_progress > kIdleLimit) return;
    // A side with nothing to wait for is left out (fd -1), or its hang-up would spin.
    pollfd p[3] = {{client_events != 0 ? client.fd() : -1, client_events, 0},
                   {backend_events != 0 ? backend_fd : -1, backend_events, 0},
                   {wake_fd, POLLIN, 0}};
    if (::poll(p, 3, 1000) < 0 && errno != EINTR) return;
    if (p[2].revents != 0) return;
  }
}

}  // namespace agx::http_internal
