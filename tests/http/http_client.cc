#include "http/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace agx::testutil {
namespace {

constexpr std::size_t kChunkSize = 7;  // small, so bodies span several chunks

std::string Lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

std::string Trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

bool HasHeader(const HttpHeaders& headers, const std::string& lower_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return Lower(h.first) == lower_name; });
}

char ToHex(std::size_t n) { return "0123456789abcdef"[n & 0xf]; }

std::string HexSize(std::size_t n) {
  std::string out;
  do {
    out.insert(out.begin(), ToHex(n));
    n >>= 4;
  } while (n != 0);
  return out;
}

}  // namespace

std::string HttpResult::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

HttpConnection::HttpConnection(int port, const std::string& source_ip, int source_port)
    : port_(port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    return;
  }
  timeval tv{10, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (!source_ip.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_port = htons(static_cast<uint16_t>(source_port));
    if (inet_pton(AF_INET, source_ip.c_str(), &local.sin_addr) != 1 ||
        bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      Close();
      return;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Close();
  }
}

HttpConnection::~HttpConnection() { Close(); }

std::string HttpConnection::ReadUntilClose() {
  while (Fill()) {
  }
  std::string out;
  out.swap(buffer_);
  return out;
}

bool HttpConnection::PeekOpen() {
  if (fd_ < 0 || !buffer_.empty()) {
    return false;
  }
  char c;
  const ssize_t n = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void HttpConnection::Close() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

bool HttpConnection::SendRaw(std::string_view bytes) {
  while (!bytes.empty() && fd_ >= 0) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return fd_ >= 0;
}

bool HttpConnection::Fill() {
  if (fd_ < 0) {
    return false;
  }
  char buf[4096];
  while (true) {
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
}

bool HttpConnection::ReadLine(std::string* line) {
  std::size_t end;
  while ((end = buffer_.find("\r\n")) == std::string::npos) {
    if (!Fill()) {
      return false;
    }
  }
  *line = buffer_.substr(0, end);
  buffer_.erase(0, end + 2);
  return true;
}

bool HttpConnection::ReadExactly(std::size_t n, std::string* out) {
  while (buffer_.size() < n) {
    if (!Fill()) {
      return false;
    }
  }
  out->append(buffer_, 0, n);
  buffer_.erase(0, n);
  return true;
}

HttpResult HttpConnection::ReadResponse(bool head) {
  HttpResult r;
  std::string line;
  if (!ReadLine(&line)) {
    r.error = "no status line (connection closed or timed out)";
    return r;
  }
  // "HTTP/1.1 200 OK"
  const std::size_t sp1 = line.find(' ');
  if (line.rfind("HTTP/1.", 0) != 0 || sp1 == std::string::npos) {
    r.error = "bad status line: " + line;
    return r;
  }
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  r.status = std::atoi(line.substr(sp1 + 1, sp2 - sp1 - 1).c_str());
  r.reason = sp2 == std::string::npos ? "" : line.substr(sp2 + 1);
  while (true) {
    if (!ReadLine(&line)) {
      r.error = "truncated headers";
      return r;
    }
    if (line.empty()) {
      break;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) {
      r.error = "bad header line: " + line;
      return r;
    }
    std::string name = Lower(line.substr(0, colon));
    std::string value = Trim(line.substr(colon + 1));
    auto [it, inserted] = r.headers.try_emplace(name, value);
    if (!inserted) {
      it->second += ", " + value;
    }
  }
  if (head || r.status < 200 || r.status == 204 || r.status == 304) {
    return r;
  }
  if (Lower(r.Header("transfer-encoding")).find("chunked") != std::string::npos) {
    while (true) {
      if (!ReadLine(&line)) {
        r.error = "truncated chunk size";
        return r;
      }
      const std::size_t size = std::strtoul(line.c_str(), nullptr, 16);
      if (size == 0) {
        while (ReadLine(&line) && !line.empty()) {
        }  // trailers
        return r;
      }
      std::string crlf;
      if (!ReadExactly(size, &r.body) || !ReadExactly(2, &crlf)) {
        r.error = "truncated chunk";
        return r;
      }
    }
  }
  if (r.headers.count("content-length") != 0) {
    const std::size_t length = std::strtoul(r.Header("content-length").c_str(), nullptr, 10);
    if (!ReadExactly(length, &r.body)) {
      r.error = "truncated body";
    }
    return r;
  }
  while (Fill()) {
  }
  r.body = std::move(buffer_);
  buffer_.clear();
  return r;
}

HttpResult HttpConnection::Request(std::string_view method, std::string_view path,
                                   const HttpHeaders& headers, std::string_view body,
                                   bool chunked) {
  if (fd_ < 0) {
    HttpResult r;
    r.error = "not connected to port " + std::to_string(port_);
    return r;
  }
  std::string req;
  req.append(method).append(" ").append(path).append(" HTTP/1.1\r\n");
  if (!HasHeader(headers, "host")) {
    req += "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  }
  for (const auto& [name, value] : headers) {
    req += name + ": " + value + "\r\n";
  }
  if (chunked) {
    req += "Transfer-Encoding: chunked\r\n\r\n";
    for (std::size_t pos = 0; pos < body.size(); pos += kChunkSize) {
      const std::string_view chunk = body.substr(pos, kChunkSize);
      req += HexSize(chunk.size()) + "\r\n";
      req.append(chunk);
      req += "\r\n";
    }
    req += "0\r\n\r\n";
  } else {
    if (!body.empty() || method == "POST" || method == "PUT") {
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n";
    req.append(body);
  }
  // A failed send is not final: the server may have answered (e.g. 413) and closed early.
  SendRaw(req);
  return ReadResponse(method == "HEAD");
}

HttpResult Request(int port, std::string_view method, std::string_view path,
                   const HttpHeaders& headers, std::string_view body, bool chunked) {
  HttpConnection conn(port);
  HttpHeaders all = headers;
  if (!HasHeader(all, "connection")) {
    all.emplace_back("Connection", "close");
  }
  return conn.Request(method, path, all, body, chunked);
}

}  // namespace agx::testutil
