#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>

#include "common/log.h"

namespace agx::http_internal {
namespace {

using Clock = std::chrono::steady_clock;

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
  // RELEASE_BUFFERS: a connection that waits (for its request head, or between requests)
  // holds no read or write buffer.
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                          SSL_MODE_RELEASE_BUFFERS);
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

// Maps an OpenSSL call's result to Io; clears this thread's error queue on failure.
Io ToIo(SSL* ssl, int ret) {
  switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
      return Io::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Io::kWantWrite;
    default:
      ERR_clear_error();  // close_notify, a reset, a bad record or certificate
      return Io::kClosed;
  }
}

class TlsStream : public ClientStream {
 public:
  TlsStream(int fd, SSL* ssl) : ClientStream(fd), ssl_(ssl) {}
  ~TlsStream() override { SSL_free(ssl_); }

  Io Handshake() override {
    const int r = SSL_accept(ssl_);
    if (r == 1) return Io::kOk;
    if (SSL_get_error(ssl_, r) == SSL_ERROR_SSL) {
      log::Debug("TLS handshake failed", {{"err", OpenSslErrors()}});
    }
    return ToIo(ssl_, r);
  }
  Io Read(char* buf, std::size_t cap, std::size_t* n) override {
    const int r = SSL_read(ssl_, buf, static_cast<int>(std::min<std::size_t>(cap, 1 << 30)));
    if (r > 0) {
      *n = static_cast<std::size_t>(r);
      return Io::kOk;
    }
    return ToIo(ssl_, r);
  }
  Io Write(const char* buf, std::size_t len, std::size_t* n) override {
    const int r = SSL_write(ssl_, buf, static_cast<int>(std::min<std::size_t>(len, 1 << 30)));
    if (r > 0) {
      *n = static_cast<std::size_t>(r);
      return Io::kOk;
    }
    return ToIo(ssl_, r);
  }
  void Shutdown() override {
    SSL_shutdown(ssl_);  // best effort close_notify on the non-blocking socket
    ERR_clear_error();
  }

 private:
  SSL* const ssl_;
};

}  // namespace

struct TlsContext::Impl {
  TlsOptions options;
  std::mutex mu;  // guards everything below
  CtxPtr ctx;
  std::string stamps;
  Clock::time_point last_stamp_check{};

  CtxPtr Current();
};

CtxPtr TlsContext::Impl::Current() {
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

Result<std::unique_ptr<TlsContext>> TlsContext::Create(const TlsOptions& options) {
  auto ctx = BuildContext(options);
  if (!ctx.ok()) return Error{ctx.error()};
  std::unique_ptr<TlsContext> t(new TlsContext());
  t->impl_ = std::make_unique<Impl>();
  t->impl_->options = options;
  t->impl_->ctx = std::move(*ctx);
  t->impl_->stamps = FileStamps(options);
  t->impl_->last_stamp_check = Clock::now();
  return t;
}

TlsContext::~TlsContext() = default;

std::unique_ptr<ClientStream> TlsContext::Wrap(int fd) {
  // The SSL object keeps its context alive (reference counted) after a reload.
  const CtxPtr c = impl_->Current();
  SSL* ssl = SSL_new(c.get());
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    if (ssl != nullptr) SSL_free(ssl);
    ERR_clear_error();
    ::close(fd);
    return nullptr;
  }
  return std::make_unique<TlsStream>(fd, ssl);
}

}  // namespace agx::http_internal
