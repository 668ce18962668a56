#include "http/front_end.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "common/log.h"
#include "http/relay.h"
#include "http/tls_context.h"

namespace agx::http_internal {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 16 * 1024;  // one TLS record
// Out of file descriptors with nobody waiting to drop: accepting pauses this long.
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

bool SetNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

void SetNoDelay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Whether civetweb has what it needs to answer the head in `buf` at once: the blank line
// that ends it ("\r\n\r\n", or "\n\n", which civetweb accepts too), or a byte civetweb
// refuses in a head (a control character other than CR and LF: it answers 400). Scans from
// `from`, backing up 3 bytes for a terminator split across reads.
bool HeadReady(std::string_view buf, std::size_t from) {
  for (std::size_t i = from < 3 ? 0 : from - 3; i < buf.size(); ++i) {
    const auto c = static_cast<unsigned char>(buf[i]);
    if (c < 128 && c != '\r' && c != '\n' && !std::isprint(c)) return true;
    if (c == '\n' && i + 1 < buf.size() && buf[i + 1] == '\n') return true;
    if (c == '\r' && i + 3 < buf.size() && buf.compare(i, 4, "\r\n\r\n") == 0) return true;
  }
  return false;
}

}  // namespace

struct FrontEnd::Impl {
  // A connection whose first request head is not complete yet. Gate thread only.
  struct Waiting {
    std::unique_ptr<ClientStream> stream;
    ClientAddress client;
    Clock::time_point deadline;
    bool handshaken = false;
    std::string head;
    std::uint32_t events = 0;  // registered with epoll
  };
  using WaitingList = std::list<Waiting>;

  FrontEndOptions options;
  std::unique_ptr<TlsContext> tls;  // null: plain HTTP
  int backend_port = 0;
  int listen_fd = -1;
  int epoll_fd = -1;
  int port = 0;
  int wake[2] = {-1, -1};  // written once at stop: the gate and every relay watch wake[0]
  std::atomic<bool> stopping{false};
  std::thread gate;

  // Gate thread only. Every connection waits the same time, so accept order is also
  // deadline order: the front is the first to expire and the first to drop for room.
  WaitingList waiting;
  std::unordered_map<int, WaitingList::iterator> by_fd;
  bool accept_paused = false;
  Clock::time_point accept_resume{};

  mutable std::mutex mu;  // guards relays and relay_peers (relay threads change them)
  std::condition_variable relays_done;
  int relays = 0;
  std::map<int, ClientAddress> relay_peers;  // a relay's source port at kRelayHost -> client

  std::atomic<std::uint64_t> accepted{0}, handshake_failures{0}, refused{0}, bad_requests{0},
      no_request{0};

  std::string timeout_reason;  // why a head that did not come in time is refused

  void GateLoop();
  void AcceptAll();
  void Admit(int fd, const sockaddr_in& peer);
  /// Moves a waiting connection on as far as its socket allows.
  void Advance(WaitingList::iterator it);
  /// Closes a waiting connection that ran out of time or room (or whose client left),
  /// counted by how far it got; `reply` sends 400 when part of a head came.
  void Drop(WaitingList::iterator it, const char* why, bool reply);
  void Forget(WaitingList::iterator it);  // out of epoll and the lists
  void Watch(Waiting& w, Io want);
  void HandOff(WaitingList::iterator it);
  void RunRelay(ClientStream& stream, std::string head, const ClientAddress& client);
  int OpenConnections() const;
};

int FrontEnd::Impl::OpenConnections() const {
  std::lock_guard lock(mu);
  return static_cast<int>(waiting.size()) + relays;  // (waiting: the gate's, as the caller)
}

void FrontEnd::Impl::GateLoop() {
  epoll_event events[64];
  while (!stopping.load()) {
    int timeout_ms = -1;
    const auto now = Clock::now();
    auto until = [&](Clock::time_point t) {
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - now).count();
      const int clamped = static_cast<int>(std::clamp<long long>(ms, 0, 60000));
      timeout_ms = timeout_ms < 0 ? clamped : std::min(timeout_ms, clamped);
    };
    if (!waiting.empty()) until(waiting.front().deadline);
    if (accept_paused) until(accept_resume);
    const int n = ::epoll_wait(epoll_fd, events, 64, timeout_ms);
    if (n < 0 && errno != EINTR) {
      log::Error("HTTP front end: epoll_wait failed", {{"err", std::strerror(errno)}});
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake[0]) return;
      if (fd == listen_fd) {
        AcceptAll();
      } else if (auto found = by_fd.find(fd); found != by_fd.end()) {
        Advance(found->second);  // (an event of a connection dropped in this batch is gone)
      }
    }
    const auto after = Clock::now();
    while (!waiting.empty() && waiting.front().deadline <= after) {
      Drop(waiting.begin(), timeout_reason.c_str(), true);
    }
    if (accept_paused && after >= accept_resume) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = listen_fd;
      ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
      accept_paused = false;
    }
  }
}

void FrontEnd::Impl::AcceptAll() {
  for (;;) {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len,
                             SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
      Admit(fd, peer);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EMFILE || errno == ENFILE) {
      // Out of descriptors: the oldest waiting connection gives its up; with nobody
      // waiting, stop watching the listener for a while instead of spinning on it.
      if (!waiting.empty()) {
        Drop(waiting.begin(), "out of file descriptors", false);
        continue;
      }
      log::Warn("HTTP front end: out of file descriptors; accepting paused",
                {{"port", std::to_string(port)}});
      ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
      accept_paused = true;
      accept_resume = Clock::now() + kAcceptPause;
    }
    return;  // EAGAIN: all accepted
  }
}

void FrontEnd::Impl::Admit(int fd, const sockaddr_in& peer) {
  if (OpenConnections() >= options.max_connections) {
    if (waiting.empty()) {
      refused.fetch_add(1);
      ::close(fd);
      return;
    }
    Drop(waiting.begin(), "the connection limit was reached; the oldest waiting connection is closed",
         true);
  }
  SetNoDelay(fd);
  Waiting w;
  char ip[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
  w.client = {ip, ntohs(peer.sin_port)};
  w.deadline = Clock::now() + std::chrono::milliseconds(options.head_timeout_ms);
  if (tls) {
    w.stream = tls->Wrap(fd);  // closes fd on failure
    if (!w.stream) {
      handshake_failures.fetch_add(1);
      return;
    }
  } else {
    w.stream = std::make_unique<ClientStream>(fd);
    w.handshaken = true;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    log::Error("HTTP front end: epoll_ctl failed", {{"err", std::strerror(errno)}});
    return;  // the stream closes fd
  }
  w.events = EPOLLIN;
  waiting.push_back(std::move(w));
  auto it = std::prev(waiting.end());
  by_fd[fd] = it;
  Advance(it);  // the request often arrives with the connection
}

void FrontEnd::Impl::Watch(Waiting& w, Io want) {
  const std::uint32_t events = want == Io::kWantWrite ? EPOLLOUT : EPOLLIN;
  if (events == w.events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = w.stream->fd();
  ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, w.stream->fd(), &ev);
  w.events = events;
}

void FrontEnd::Impl::Advance(WaitingList::iterator it) {
  Waiting& w = *it;
  if (!w.handshaken) {
    const Io io = w.stream->Handshake();
    if (io == Io::kClosed) {
      handshake_failures.fetch_add(1);
      Forget(it);
      return;
    }
    if (io != Io::kOk) {
      Watch(w, io);
      return;
    }
    w.handshaken = true;
    accepted.fetch_add(1);
  }
  char buf[kReadChunk];  // a head grows by what arrived, not by the chunk
  for (;;) {
    const std::size_t before = w.head.size();
    // At most one byte past max_head_bytes (before <= max_head_bytes: see below).
    const std::size_t room = std::min(kReadChunk, options.max_head_bytes + 1 - before);
    std::size_t n = 0;
    const Io io = w.stream->Read(buf, room, &n);
    if (io == Io::kOk) w.head.append(buf, n);
    if (io == Io::kClosed) {
      Drop(it, "client closed", false);
      return;
    }
    if (io != Io::kOk) {
      Watch(w, io);
      return;
    }
    // Complete, or for civetweb to refuse (too long, or a byte a head may not contain).
    if (w.head.size() > options.max_head_bytes || HeadReady(w.head, before)) {
      HandOff(it);
      return;
    }
  }
}

void FrontEnd::Impl::Drop(WaitingList::iterator it, const char* why, bool reply) {
  Waiting& w = *it;
  if (!w.handshaken) {
    handshake_failures.fetch_add(1);
  } else if (w.head.empty()) {
    no_request.fetch_add(1);
  } else {
    bad_requests.fetch_add(1);
    if (reply) {
      // civetweb's answer to a head that did not arrive in time, sent by the gate now.
      const std::string body = std::string("request head not complete: ") + why + "\n";
      const std::string reply_text =
          "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      std::size_t n = 0;
      w.stream->Write(reply_text.data(), reply_text.size(), &n);  // best effort: a fresh
                                                                   // socket's buffer takes it
    }
  }
  log::Debug("HTTP front end: closed a connection before its request",
             {{"reason", why}, {"remote_addr", w.client.ip},
              {"bytes", std::to_string(w.head.size())}});
  w.stream->Shutdown();
  Forget(it);
}

void FrontEnd::Impl::Forget(WaitingList::iterator it) {
  const int fd = it->stream ? it->stream->fd() : -1;
  if (fd >= 0) {
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    by_fd.erase(fd);
  }
  waiting.erase(it);  // closes the socket (after epoll forgot it)
}

void FrontEnd::Impl::HandOff(WaitingList::iterator it) {
  ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, it->stream->fd(), nullptr);
  by_fd.erase(it->stream->fd());
  std::unique_ptr<ClientStream> stream = std::move(it->stream);
  std::string head = std::move(it->head);
  ClientAddress client = std::move(it->client);
  waiting.erase(it);
  {
    std::lock_guard lock(mu);
    ++relays;
  }
  try {
    std::thread([this, stream = std::move(stream), head = std::move(head),
                 client = std::move(client)]() mutable {
      ::pthread_setname_np(::pthread_self(), "agx-http-relay");
      RunRelay(*stream, std::move(head), client);
      stream.reset();  // closes the client's socket
      std::lock_guard lock(mu);
      if (--relays == 0) relays_done.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    // The lambda (and with it the stream) is destroyed: the client's socket is closed.
    log::Error("HTTP front end: cannot start a relay thread", {{"err", e.what()}});
    std::lock_guard lock(mu);
    if (--relays == 0) relays_done.notify_all();
  }
}

void FrontEnd::Impl::RunRelay(ClientStream& stream, std::string head, const ClientAddress& client) {
  const int backend = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int relay_port = -1;
  if (backend >= 0) {
    // Bind first, so that the source address is registered before civetweb can see the
    // connection (its check runs when the request arrives, after this). No SO_REUSEADDR:
    // no other socket may take this address while the relay holds it.
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, kRelayHost, &local.sin_addr);
    socklen_t len = sizeof local;
    if (::bind(backend, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0 &&
        ::getsockname(backend, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      relay_port = ntohs(local.sin_port);
      std::lock_guard lock(mu);
      relay_peers[relay_port] = client;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(backend_port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (relay_port >= 0 &&
      ::connect(backend, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
      SetNonBlocking(backend)) {
    SetNoDelay(backend);
    Relay(stream, backend, std::move(head), stopping, wake[0]);
  } else {
    log::Error("HTTP front end: cannot reach the HTTP server on loopback",
               {{"port", std::to_string(backend_port)}, {"err", std::strerror(errno)}});
  }
  if (relay_port >= 0) {
    std::lock_guard lock(mu);
    relay_peers.erase(relay_port);  // before the socket is closed and its port freed
  }
  if (backend >= 0) ::close(backend);
  stream.Shutdown();
}

Result<std::unique_ptr<FrontEnd>> FrontEnd::Start(const std::string& host, int port,
                                                  const FrontEndOptions& options,
                                                  int backend_port) {
  std::unique_ptr<FrontEnd> f(new FrontEnd());
  f->impl_ = std::make_unique<Impl>();
  Impl& im = *f->impl_;
  im.options = options;
  im.options.max_connections = std::max(1, options.max_connections);
  im.backend_port = backend_port;
  im.timeout_reason = "not received within web.request_timeout (" +
                      std::to_string(options.head_timeout_ms) + " ms)";
  if (options.tls) {
    auto tls = TlsContext::Create(*options.tls);
    if (!tls.ok()) return Error{tls.error()};
    im.tls = std::move(tls.value());
  }

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (host.empty()) {
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Error{"invalid listen host " + host};
  }
  if (::pipe2(im.wake, O_CLOEXEC) != 0) return Error{std::string("pipe: ") + std::strerror(errno)};
  im.listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int one = 1;
  if (im.listen_fd < 0 ||
      ::setsockopt(im.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(im.listen_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(im.listen_fd, SOMAXCONN) != 0) {
    return Error{std::string(std::strerror(errno))};
  }
  socklen_t len = sizeof addr;
  ::getsockname(im.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  im.port = ntohs(addr.sin_port);
  im.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (im.epoll_fd < 0) return Error{std::string("epoll: ") + std::strerror(errno)};
  for (int fd : {im.listen_fd, im.wake[0]}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(im.epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      return Error{std::string("epoll: ") + std::strerror(errno)};
    }
  }
  im.gate = std::thread([&im] {
    ::pthread_setname_np(::pthread_self(), "agx-http-gate");
    im.GateLoop();
  });
  return f;
}

FrontEnd::~FrontEnd() {
  if (!impl_) return;
  Impl& im = *impl_;
  im.stopping.store(true);
  if (im.wake[1] >= 0) {
    const char c = 1;
    [[maybe_unused]] ssize_t n = ::write(im.wake[1], &c, 1);
  }
  if (im.gate.joinable()) im.gate.join();
  while (!im.waiting.empty()) im.Forget(im.waiting.begin());
  {
    std::unique_lock lock(im.mu);
    im.relays_done.wait(lock, [&] { return im.relays == 0; });
  }
  for (int fd : {im.listen_fd, im.epoll_fd, im.wake[0], im.wake[1]}) {
    if (fd >= 0) ::close(fd);
  }
}

int FrontEnd::port() const { return impl_->port; }

std::optional<ClientAddress> FrontEnd::RelayedClient(std::string_view ip, int port) const {
  if (ip != kRelayHost) return std::nullopt;
  std::lock_guard lock(impl_->mu);
  auto it = impl_->relay_peers.find(port);
  if (it == impl_->relay_peers.end()) return std::nullopt;
  return it->second;
}

FrontEndStats FrontEnd::stats() const {
  const Impl& im = *impl_;
  FrontEndStats s;
  if (im.tls) {
    s.tls = {im.accepted.load(), im.handshake_failures.load(), im.refused.load()};
  }
  s.bad_requests = im.bad_requests.load();
  s.no_request = im.no_request.load();
  s.refused = im.refused.load();
  return s;
}

}  // namespace agx::http_internal
