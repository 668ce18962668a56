#include "http/tls_frontend.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "common/log.h"

namespace agx {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kBufferBytes = 64 * 1024;
// A relayed connection with no byte moving either way for this long is closed. civetweb's
// own request and keep-alive timeouts normally close the backend side much earlier.
constexpr auto kIdleLimit = std::chrono::minutes(5);

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

bool SetNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

struct CtxDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using CtxPtr = std::shared_ptr<SSL_CTX>;

// RequestClientCert and RequireAnyClientCert take any certificate: the chain is not checked.
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

Result<CtxPtr> BuildContext(const TlsOptions& o) {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()), CtxDeleter{});
  if (!ctx) return Error{"TLS: " + OpenSslErrors()};
  SSL_CTX* c = ctx.get();
  if (SSL_CTX_set_min_proto_version(c, o.min_version) != 1 ||
      (o.max_version != 0 && SSL_CTX_set_max_proto_version(c, o.max_version) != 1)) {
    return Error{"TLS: cannot set the protocol versions: " + OpenSslErrors()};
  }
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                             SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(c, o.cert_file.c_str()) != 1) {
    return Error{"TLS: cannot load cert_file " + o.cert_file + ": " + OpenSslErrors()};
  }
  if (SSL_CTX_use_PrivateKey_file(c, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Error{"TLS: cannot load key_file " + o.key_file + ": " + OpenSslErrors()};
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    return Error{"TLS: key_file " + o.key_file + " does not match cert_file " + o.cert_file +
                 ": " + OpenSslErrors()};
  }
  using A = TlsOptions::ClientAuth;
  if (!o.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(c, o.client_ca_file.c_str(), nullptr) != 1) {
      return Error{"TLS: cannot load client_ca_file " + o.client_ca_file + ": " + OpenSslErrors()};
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.client_ca_file.c_str());
    if (names == nullptr) {
      return Error{"TLS: no CA certificate in client_ca_file " + o.client_ca_file};
    }
    SSL_CTX_set_client_CA_list(c, names);
  }
  switch (o.client_auth) {
    case A::kNone:
      SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
      break;
    case A::kRequest:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case A::kRequireAny:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AcceptAnyCertificate);
      break;
    case A::kVerifyIfGiven:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
      break;
    case A::kRequireAndVerify:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  // Session tickets and the session cache let Prometheus resume instead of a full
  // handshake every scrape; the context is shared by all connections.
  SSL_CTX_set_session_id_context(c, reinterpret_cast<const unsigned char*>("agent_exporter"), 14);
  return ctx;
}

/// Modification times of the files a context was built from, to notice rotation.
std::string FileStamps(const TlsOptions& o) {
  std::string out;
  for (const std::string* p : {&o.cert_file, &o.key_file, &o.client_ca_file}) {
    struct stat st {};
    if (!p->empty() && ::stat(p->c_str(), &st) == 0) {
      out += std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "/" +
             std::to_string(st.st_size) + ";";
    } else {
      out += "-;";
    }
  }
  return out;
}

}  // namespace

struct TlsFrontend::Impl {
  TlsOptions options;
  int backend_port = 0;
  int listen_fd = -1;
  int port = 0;
  int wake[2] = {-1, -1};  // written once at stop: every poll below watches wake[0]
  std::atomic<bool> stopping{false};
  std::thread acceptor;

  mutable std::mutex mu;  // guards everything below
  std::condition_variable idle_cv;
  int active = 0;
  std::set<int> relay_ports;
  CtxPtr ctx;
  std::string stamps;
  Clock::time_point last_stamp_check{};

  std::atomic<std::uint64_t> accepted{0}, handshake_failures{0}, refused{0};

  CtxPtr CurrentContext();
  void AcceptLoop();
  void Serve(int client_fd);
  /// Waits for `events` on `fd` (or the stop signal) until `deadline`.
  bool Wait(int fd, short events, Clock::time_point deadline);
  void Relay(SSL* ssl, int client_fd, int backend_fd);
};

CtxPtr TlsFrontend::Impl::CurrentContext() {
  std::lock_guard lock(mu);
  const auto now = Clock::now();
  if (now - last_stamp_check >= std::chrono::seconds(1)) {
    last_stamp_check = now;
    std::string s = FileStamps(options);
    if (s != stamps) {
      auto fresh = BuildContext(options);
      if (fresh.ok()) {
        ctx = std::move(*fresh);
        log::Info("TLS certificate reloaded", {{"cert_file", options.cert_file}});
      } else {
        log::Error("TLS certificate reload failed; serving the previous one",
                   {{"err", fresh.error()}});
      }
      stamps = std::move(s);  // retried when the files change again
    }
  }
  return ctx;
}

bool TlsFrontend::Impl::Wait(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || stopping.load()) return false;
    pollfd p[2] = {{fd, events, 0}, {wake[0], POLLIN, 0}};
    const int n = ::poll(p, 2, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) return false;
    if (p[1].revents != 0) return false;
    if (n > 0 && p[0].revents != 0) return true;
  }
}

void TlsFrontend::Impl::AcceptLoop() {
  while (!stopping.load()) {
    pollfd p[2] = {{listen_fd, POLLIN, 0}, {wake[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::Error("TLS listener: poll failed", {{"err", std::strerror(errno)}});
      return;
    }
    if (p[1].revents != 0) return;
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors: back off instead of spinning on the pending connection.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      continue;
    }
    {
      std::lock_guard lock(mu);
      if (active >= options.max_connections) {
        refused.fetch_add(1);
        ::close(fd);
        continue;
      }
      ++active;
    }
    std::thread([this, fd] {
      Serve(fd);
      std::lock_guard lock(mu);
      if (--active == 0) idle_cv.notify_all();
    }).detach();
  }
}

void TlsFrontend::Impl::Serve(int client_fd) {
  const int one = 1;
  ::setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  CtxPtr c = CurrentContext();
  SSL* ssl = SSL_new(c.get());
  if (ssl == nullptr || SSL_set_fd(ssl, client_fd) != 1) {
    if (ssl != nullptr) SSL_free(ssl);
    ::close(client_fd);
    handshake_failures.fetch_add(1);
    return;
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(options.handshake_timeout_ms);
  bool ok = false;
  for (;;) {
    const int r = SSL_accept(ssl);
    if (r == 1) {
      ok = true;
      break;
    }
    const int e = SSL_get_error(ssl, r);
    if ((e == SSL_ERROR_WANT_READ && Wait(client_fd, POLLIN, deadline)) ||
        (e == SSL_ERROR_WANT_WRITE && Wait(client_fd, POLLOUT, deadline))) {
      continue;
    }
    log::Debug("TLS handshake failed", {{"err", e == SSL_ERROR_SSL ? OpenSslErrors() : "timeout or closed"}});
    ERR_clear_error();
    break;
  }
  if (!ok) {
    handshake_failures.fetch_add(1);
    SSL_free(ssl);
    ::close(client_fd);
    return;
  }
  accepted.fetch_add(1);

  const int backend = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(backend_port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int relay_port = -1;
  if (backend >= 0) {
    // Bind first so that the source port is registered before civetweb can see the
    // connection (its check runs when the request arrives, after this).
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, kRelayHost, &local.sin_addr);
    socklen_t len = sizeof local;
    if (::bind(backend, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0 &&
        ::getsockname(backend, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      relay_port = ntohs(local.sin_port);
      std::lock_guard lock(mu);
      relay_ports.insert(relay_port);
    }
  }
  if (relay_port >= 0 &&
      ::connect(backend, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
      SetNonBlocking(backend)) {
    ::setsockopt(backend, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Relay(ssl, client_fd, backend);
  } else {
    log::Error("TLS front end: cannot reach the HTTP server on loopback",
               {{"port", std::to_string(backend_port)}, {"err", std::strerror(errno)}});
  }
  if (relay_port >= 0) {
    std::lock_guard lock(mu);
    relay_ports.erase(relay_port);
  }
  if (backend >= 0) ::close(backend);
  SSL_shutdown(ssl);  // best effort close_notify on the non-blocking socket
  SSL_free(ssl);
  ::close(client_fd);
}

// Moves bytes both ways until either side is done: TLS records from the client become
// plaintext for civetweb, civetweb's answers go back encrypted. Never holds more than one
// buffer per direction.
void TlsFrontend::Impl::Relay(SSL* ssl, int client_fd, int backend_fd) {
  std::string to_backend, to_client;
  std::size_t to_client_off = 0;
  char buf[kBufferBytes];
  bool client_done = false, backend_done = false, backend_write_closed = false;
  auto last_progress = Clock::now();
  while (!stopping.load()) {
    bool progress = false;
    short client_events = 0, backend_events = 0;
    // Client -> backend.
    if (!client_done && to_backend.empty()) {
      const int n = SSL_read(ssl, buf, sizeof buf);
      if (n > 0) {
        to_backend.assign(buf, static_cast<std::size_t>(n));
        progress = true;
      } else {
        const int e = SSL_get_error(ssl, n);
        if (e == SSL_ERROR_WANT_READ) {
          client_events |= POLLIN;
        } else if (e == SSL_ERROR_WANT_WRITE) {
          client_events |= POLLOUT;
        } else {
          client_done = true;  // close_notify, a reset, or a bad record
          ERR_clear_error();
        }
      }
    }
    if (!to_backend.empty()) {
      const ssize_t n = ::send(backend_fd, to_backend.data(), to_backend.size(), MSG_NOSIGNAL);
      if (n > 0) {
        to_backend.erase(0, static_cast<std::size_t>(n));
        progress = true;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        backend_events |= POLLOUT;
      } else {
        return;  // civetweb closed the connection
      }
    }
    if (client_done && to_backend.empty() && !backend_write_closed) {
      ::shutdown(backend_fd, SHUT_WR);  // let civetweb finish answering, then it closes
      backend_write_closed = true;
    }
    // Backend -> client.
    if (!backend_done && to_client_off == to_client.size()) {
      const ssize_t n = ::recv(backend_fd, buf, sizeof buf, 0);
      if (n > 0) {
        to_client.assign(buf, static_cast<std::size_t>(n));
        to_client_off = 0;
        progress = true;
      } else if (n == 0) {
        backend_done = true;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        backend_events |= POLLIN;
      } else {
        backend_done = true;
      }
    }
    if (to_client_off < to_client.size()) {
      const int n = SSL_write(ssl, to_client.data() + to_client_off,
                              static_cast<int>(to_client.size() - to_client_off));
      if (n > 0) {
        to_client_off += static_cast<std::size_t>(n);
        progress = true;
      } else {
        const int e = SSL_get_error(ssl, n);
        if (e == SSL_ERROR_WANT_WRITE) {
          client_events |= POLLOUT;
        } else if (e == SSL_ERROR_WANT_READ) {
          client_events |= POLLIN;
        } else {
          ERR_clear_error();
          return;  // the client is gone
        }
      }
    }
    if (backend_done && to_client_off == to_client.size()) return;
    if (progress) {
      last_progress = Clock::now();
      continue;
    }
    if (Clock::now() - last_progress > kIdleLimit) return;
    // A side with nothing to wait for is left out (fd -1), or its hang-up would spin.
    pollfd p[3] = {{client_events != 0 ? client_fd : -1, client_events, 0},
                   {backend_events != 0 ? backend_fd : -1, backend_events, 0},
                   {wake[0], POLLIN, 0}};
    if (::poll(p, 3, 1000) < 0 && errno != EINTR) return;
    if (p[2].revents != 0) return;
  }
}

Result<std::unique_ptr<TlsFrontend>> TlsFrontend::Start(const std::string& host, int port,
                                                        const TlsOptions& options,
                                                        int backend_port) {
  std::unique_ptr<TlsFrontend> f(new TlsFrontend());
  f->impl_ = std::make_unique<Impl>();
  Impl& im = *f->impl_;
  im.options = options;
  im.backend_port = backend_port;
  auto ctx = BuildContext(options);
  if (!ctx.ok()) return Error{ctx.error()};
  im.ctx = std::move(*ctx);
  im.stamps = FileStamps(options);
  im.last_stamp_check = Clock::now();

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (host.empty()) {
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Error{"TLS: invalid listen host " + host};
  }
  if (::pipe2(im.wake, O_CLOEXEC) != 0) return Error{std::string("TLS: pipe: ") + std::strerror(errno)};
  im.listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (im.listen_fd < 0 ||
      ::setsockopt(im.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(im.listen_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(im.listen_fd, 256) != 0) {
    return Error{std::string(std::strerror(errno))};
  }
  socklen_t len = sizeof addr;
  ::getsockname(im.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  im.port = ntohs(addr.sin_port);
  im.acceptor = std::thread([&im] { im.AcceptLoop(); });
  return f;
}

TlsFrontend::~TlsFrontend() {
  if (!impl_) return;
  Impl& im = *impl_;
  im.stopping.store(true);
  if (im.wake[1] >= 0) {
    const char c = 1;
    [[maybe_unused]] ssize_t n = ::write(im.wake[1], &c, 1);
  }
  if (im.acceptor.joinable()) im.acceptor.join();
  {
    std::unique_lock lock(im.mu);
    im.idle_cv.wait(lock, [&] { return im.active == 0; });
  }
  if (im.listen_fd >= 0) ::close(im.listen_fd);
  for (int fd : im.wake) {
    if (fd >= 0) ::close(fd);
  }
}

int TlsFrontend::port() const { return impl_->port; }

bool TlsFrontend::IsRelayPeer(std::string_view ip, int port) const {
  if (ip != kRelayHost) return false;
  std::lock_guard lock(impl_->mu);
  return impl_->relay_ports.count(port) > 0;
}

TlsStats TlsFrontend::stats() const {
  return {impl_->accepted.load(), impl_->handshake_failures.load(), impl_->refused.load()};
}

}  // namespace agx
