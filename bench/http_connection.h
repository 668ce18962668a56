#pragma once
// One keep-alive HTTP/1.1 client connection over TCP to an IPv4 host, shared by the
// benchmark's load clients (push_load.cc, otlp_load.cc). Header-only: each client is one
// .cc file. A client defines agx_bench::Die (print and exit), called when the server
// refuses the connection (the server must be up before the load starts).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace agx_bench {

[[noreturn]] void Die(const std::string& msg);

/// One keep-alive HTTP/1.1 connection. Not thread-safe: one per thread.
class Connection {
 public:
  Connection(std::string host, int port) : host_(std::move(host)), port_(port) {}
  ~Connection() { Close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Sends head + body and reads the answer. \return false when the connection failed
  /// (closed by the peer, reset): the caller may retry on a new connection.
  bool RoundTrip(const std::string& head, std::string_view body, int* status, std::string* reply) {
    if (fd_ < 0 && !Open()) return false;
    iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                    {const_cast<char*>(body.data()), body.size()}};
    int iovcnt = body.empty() ? 1 : 2;
    iovec* v = iov;
    while (iovcnt > 0) {
      const ssize_t n = ::writev(fd_, v, iovcnt);
      if (n < 0) {
        if (errno == EINTR) continue;
        Close();
        return false;
      }
      std::size_t left = static_cast<std::size_t>(n);
      while (iovcnt > 0 && left >= v->iov_len) {
        left -= v->iov_len;
        ++v;
        --iovcnt;
      }
      if (iovcnt > 0) {
        v->iov_base = static_cast<char*>(v->iov_base) + left;
        v->iov_len -= left;
      }
    }
    if (!ReadResponse(status, reply)) {
      Close();
      return false;
    }
    return true;
  }

 private:
  bool Open() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) Die("--host must be an IPv4 address");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      // The server must be up before the load starts: a refused connect is not transient.
      Die("cannot connect to " + host_ + ":" + std::to_string(port_) + ": " + std::strerror(errno));
    }
    in_.clear();
    return true;
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads more bytes into in_. \return false on EOF or error.
  bool Fill() {
    char buf[64 * 1024];
    for (;;) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      in_.append(buf, static_cast<std::size_t>(n));
      return true;
    }
  }

  // Ensures in_ holds at least `n` bytes.
  bool Need(std::size_t n) {
    while (in_.size() < n) {
      if (!Fill()) return false;
    }
    return true;
  }

  bool ReadResponse(int* status, std::string* body) {
    std::size_t head_end;
    while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return false;
    }
    std::string head = in_.substr(0, head_end);
    in_.erase(0, head_end + 4);
    if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) return false;
    *status = std::atoi(head.c_str() + 9);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const bool close_after = lower.find("\r\nconnection: close") != std::string::npos;
    body->clear();
    if (lower.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
      for (;;) {
        std::size_t eol;
        while ((eol = in_.find("\r\n")) == std::string::npos) {
          if (!Fill()) return false;
        }
        const std::size_t size = std::strtoul(in_.c_str(), nullptr, 16);
        in_.erase(0, eol + 2);
        if (!Need(size + 2)) return false;
        body->append(in_, 0, size);
        in_.erase(0, size + 2);
        if (size == 0) break;
      }
    } else if (std::size_t p = lower.find("\r\ncontent-length:"); p != std::string::npos) {
      const std::size_t len = std::strtoul(head.c_str() + p + 17, nullptr, 10);
      if (!Need(len)) return false;
      body->assign(in_, 0, len);
      in_.erase(0, len);
    } else {  // body until close
      while (Fill()) {
      }
      body->swap(in_);
      in_.clear();
      Close();
      return true;
    }
    if (close_after) Close();
    return true;
  }

  std::string host_;
  int port_;
  int fd_ = -1;
  std::string in_;  // bytes read and not yet consumed
};

}  // namespace agx_bench
