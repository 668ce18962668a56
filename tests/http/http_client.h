#pragma once
// A tiny blocking HTTP/1.1 client for tests: one request per call on 127.0.0.1, or several on
// one kept-alive HttpConnection. Understands Content-Length, chunked and read-until-close
// responses. Every socket has a 10 s receive/send timeout, so a broken server fails a test
// instead of hanging it. Not thread-safe per object; separate objects may be used from
// separate threads.
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agx::testutil {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  int status = 0;                              ///< 0: no response; see error
  std::string reason;                          ///< reason phrase from the status line
  std::map<std::string, std::string> headers;  ///< lower-cased names
  std::string body;
  std::string error;  ///< transport or parse problem, empty on success

  /// Header value by lower-case name, "" if absent.
  std::string Header(const std::string& lower_name) const;
};

/// One client connection to 127.0.0.1:port, from `source_ip`:`source_port` when given
/// (e.g. another loopback address, as a local attacker would bind).
class HttpConnection {
 public:
  explicit HttpConnection(int port, const std::string& source_ip = "", int source_port = 0);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }

  /// Sends a request (adds Host; Content-Length or chunked framing for `body`) and reads the
  /// response. `chunked` sends the body in several small chunks.
  HttpResult Request(std::string_view method, std::string_view path,
                     const HttpHeaders& headers = {}, std::string_view body = {},
                     bool chunked = false);

  /// Writes raw bytes; false if the peer is gone.
  bool SendRaw(std::string_view bytes);
  /// Reads one response; `head` means it has no body.
  HttpResult ReadResponse(bool head);
  /// Reads raw bytes until the peer closes (or 10 s pass): for replies that are not
  /// well-formed HTTP/1.x.
  std::string ReadUntilClose();
  /// True while the peer has neither closed the connection nor sent anything (looks
  /// without waiting or consuming).
  bool PeekOpen();
  /// Closes the socket now.
  void Close();

 private:
  bool Fill();  // reads more bytes into buffer_; false on EOF or error
  bool ReadLine(std::string* line);
  bool ReadExactly(std::size_t n, std::string* out);

  int port_;
  int fd_ = -1;
  std::string buffer_;
};

/// One request on a fresh connection with "Connection: close".
HttpResult Request(int port, std::string_view method, std::string_view path,
                   const HttpHeaders& headers = {}, std::string_view body = {},
                   bool chunked = false);

}  // namespace agx::testutil
