#pragma once
// ClientStream: a public client connection's bytes as the front end (front_end.h) moves
// them, over a non-blocking socket: plain TCP here, TLS in tls_context.h. Calls never
// block; they say what they wait for instead. Internal to agx_http. Not thread-safe: one
// thread uses a stream at a time (the front end's gate, then the connection's relay).
#include <cstddef>

namespace agx::http_internal {

enum class Io {
  kOk,         ///< done (for Read/Write: *n bytes moved, at least one)
  kWantRead,   ///< call again once the socket is readable
  kWantWrite,  ///< call again once the socket is writable
  kClosed,     ///< the peer closed, reset, or sent something invalid: give up
};

class ClientStream {
 public:
  explicit ClientStream(int fd) : fd_(fd) {}  ///< takes ownership of the socket
  virtual ~ClientStream();                     ///< closes the socket
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  int fd() const { return fd_; }
  /// Completes the TLS handshake; plain TCP has none.
  virtual Io Handshake() { return Io::kOk; }
  /// Reads at most `cap` (> 0) bytes into `buf`; kClosed at the end of the stream.
  virtual Io Read(char* buf, std::size_t cap, std::size_t* n);
  /// Writes at most `len` (> 0) bytes of `buf`.
  virtual Io Write(const char* buf, std::size_t len, std::size_t* n);
  /// Best-effort orderly end before the socket is closed (TLS: close_notify).
  virtual void Shutdown() {}

 protected:
  const int fd_;
};

}  // namespace agx::http_internal
