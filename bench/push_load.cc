// bench_push_load: HTTP load client of the benchmark (bench/run.py), plain HTTP/1.1 over
// keep-alive TCP connections to one host.
//
// Push mode: C connections, each on its own thread, POST NDJSON batches of B lines of FILE
// to PATH (default /v1/events) as fast as they are answered, until the file is used up or
// T seconds have passed (a batch still refused then is given up). With --loop the batches are sent again from the start when the
// file is used up, until T seconds have passed (a sustained load longer than the file lasts;
// each batch of one pass is distinct, passes repeat them). A batch answered 429 or 503 is sent again; a connection closed by
// the server is reopened and the batch sent again (a refused connect ends the program). Only 200 answers count, with their "accepted" value.
//   bench_push_load --port P --file F [--connections 4] [--batch 2000] [--seconds 10]
//                   [--host 127.0.0.1] [--path /v1/events] [--loop]
// Prints one JSON object: acked_events, batches, seconds, events_per_s, status counts,
// retries, batch latency p50/p99 in ms.
//
// Scrape mode: one connection, N GET requests of PATH (default /metrics), each timed from
// the request's first byte sent to the last byte of the body read.
//   bench_push_load --port P --get [--path /metrics] [--repeat 10] [--accept openmetrics|text]
// Prints one JSON object: times_ms (each request), bytes (last body), status.
//
// Thread-safety: the push threads share only the batch list (read-only), an atomic batch
// index and per-thread result slots merged after join.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string file;
  std::string path;
  int connections = 4;
  std::size_t batch = 2000;
  double seconds = 10;
  bool get = false;
  bool loop = false;
  int repeat = 10;
  std::string accept = "openmetrics";
};

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "bench_push_load: %s\n", msg.c_str());
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--host") o.host = value();
    else if (a == "--port") o.port = std::atoi(value().c_str());
    else if (a == "--file") o.file = value();
    else if (a == "--path") o.path = value();
    else if (a == "--connections") o.connections = std::atoi(value().c_str());
    else if (a == "--batch") o.batch = std::strtoul(value().c_str(), nullptr, 10);
    else if (a == "--seconds") o.seconds = std::atof(value().c_str());
    else if (a == "--get") o.get = true;
    else if (a == "--loop") o.loop = true;
    else if (a == "--repeat") o.repeat = std::atoi(value().c_str());
    else if (a == "--accept") o.accept = value();
    else Die("unknown argument " + a + " (see the comment at the top of bench/push_load.cc)");
  }
  if (o.port <= 0 || o.port > 65535) Die("--port is required");
  if (!o.get && o.file.empty()) Die("--file is required in push mode");
  if (o.connections < 1 || o.batch < 1 || o.repeat < 1) Die("counts must be positive");
  if (o.path.empty()) o.path = o.get ? "/metrics" : "/v1/events";
  return o;
}

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

long AcceptedOf(const std::string& reply) {
  const std::size_t p = reply.find("\"accepted\":");
  return p == std::string::npos ? -1 : std::atol(reply.c_str() + p + 11);
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

struct ThreadResult {
  long long acked = 0;
  long long batches = 0;
  long long retries = 0;
  std::map<int, long long> statuses;  // 0: connection failed
  std::vector<double> latencies_ms;
  std::string last_error_reply;
};

int Push(const Options& o) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) Die("cannot read " + o.file);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  // Cut the file into batches of o.batch lines (a last partial batch included).
  std::vector<std::string_view> batches;
  std::size_t start = 0, lines = 0, pos = 0;
  while (pos < data.size()) {
    const std::size_t nl = data.find('\n', pos);
    pos = nl == std::string::npos ? data.size() : nl + 1;
    if (++lines == o.batch || pos == data.size()) {
      batches.emplace_back(data.data() + start, pos - start);
      start = pos;
      lines = 0;
    }
  }
  if (batches.empty()) Die(o.file + " holds no lines");
  std::atomic<std::size_t> next{0};
  std::vector<ThreadResult> results(static_cast<std::size_t>(o.connections));
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  auto worker = [&](ThreadResult& r) {
    Connection conn(o.host, o.port);
    std::string reply;
    for (;;) {
      if (Clock::now() >= deadline) return;
      const std::size_t i = next.fetch_add(1);
      if (i >= batches.size() && !o.loop) return;
      const std::string_view body = batches[i % batches.size()];
      const std::string head = "POST " + o.path + " HTTP/1.1\r\nHost: " + o.host +
                               "\r\nContent-Type: application/x-ndjson\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n";
      for (int attempt = 0;; ++attempt) {
        if (attempt > 0) ++r.retries;
        // A log full until the next snapshot answers 503 for seconds: retry until the end.
        if (attempt > 0 && Clock::now() >= deadline) return;
        int status = 0;
        const auto s = Clock::now();
        const bool ok = conn.RoundTrip(head, body, &status, &reply);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
        ++r.statuses[ok ? status : 0];
        if (!ok || status == 429 || status == 503) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        r.latencies_ms.push_back(ms);
        ++r.batches;
        if (status == 200) {
          r.acked += std::max(0L, AcceptedOf(reply));
        } else {
          r.last_error_reply = reply.substr(0, 300);
        }
        break;
      }
    }
  };
  std::vector<std::thread> threads;
  for (auto& r : results) threads.emplace_back(worker, std::ref(r));
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  ThreadResult all;
  for (auto& r : results) {
    all.acked += r.acked;
    all.batches += r.batches;
    all.retries += r.retries;
    for (auto [k, v] : r.statuses) all.statuses[k] += v;
    all.latencies_ms.insert(all.latencies_ms.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    if (!r.last_error_reply.empty()) all.last_error_reply = r.last_error_reply;
  }
  std::printf("{\"acked_events\":%lld,\"batches\":%lld,\"batches_in_file\":%zu,\"seconds\":%.6f,"
              "\"events_per_s\":%.1f,\"retries\":%lld,\"latency_ms_p50\":%.3f,"
              "\"latency_ms_p99\":%.3f,\"statuses\":{",
              all.acked, all.batches, batches.size(), secs, secs > 0 ? all.acked / secs : 0.0,
              all.retries, Percentile(all.latencies_ms, 0.5), Percentile(all.latencies_ms, 0.99));
  bool first = true;
  for (auto [k, v] : all.statuses) {
    std::printf("%s\"%d\":%lld", first ? "" : ",", k, v);
    first = false;
  }
  std::string err;
  for (char c : all.last_error_reply) {
    if (c == '"' || c == '\\') err += '\\';
    err += (c >= 0x20 ? c : ' ');
  }
  std::printf("},\"last_error_reply\":\"%s\"}\n", err.c_str());
  return 0;
}

int Get(const Options& o) {
  Connection conn(o.host, o.port);
  const std::string accept = o.accept == "openmetrics"
                                 ? "application/openmetrics-text;version=1.0.0"
                                 : "text/plain;version=0.0.4";
  const std::string head = "GET " + o.path + " HTTP/1.1\r\nHost: " + o.host + "\r\nAccept: " + accept +
                           "\r\n\r\n";
  std::string body;
  int status = 0;
  std::printf("{\"times_ms\":[");
  for (int i = 0; i < o.repeat; ++i) {
    const auto s = Clock::now();
    if (!conn.RoundTrip(head, {}, &status, &body)) Die("GET " + o.path + " failed");
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
    std::printf("%s%.3f", i ? "," : "", ms);
  }
  std::printf("],\"bytes\":%zu,\"status\":%d}\n", body.size(), status);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  return o.get ? Get(o) : Push(o);
}
