// bench_otlp_load: OTLP/HTTP trace load client of the benchmark (bench/run.py).
//
// C keep-alive connections, each on its own thread, POST ExportTraceServiceRequest bodies
// of FILE (written by bench/gen_otlp.py) to /v1/traces, round robin, as fast as they are
// answered, for T seconds. Every request gets a number of its own, written into the id
// placeholders of its body (4 bytes at each offset gen_otlp.py lists: raw bytes for
// protobuf, 8 hex digits for JSON), so that no span id is ever sent twice and the exporter
// counts every span. A request answered 429 or 503 is sent again, unchanged (nothing of it
// was applied), backing off, until the deadline; a connection closed by the server is
// reopened and the request sent again.
// A 200 answer acknowledges the body's spans, unless it carries a partial success (JSON
// "partialSuccess", or a non-empty protobuf answer), counted as `partial`.
//   bench_otlp_load --port P --file F --encoding protobuf|json [--connections 4]
//                   [--seconds 10] [--host 127.0.0.1]
// Prints one JSON object: acked_spans, requests, seconds, spans_per_s, status counts
// (0: connection failed), retries, partial, abandoned, the last non-200 answer.
//
// Thread-safety: the threads share the bodies (read-only) and an atomic request counter;
// each patches its own copy of a body, and results are per-thread slots merged after join.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http_connection.h"

[[noreturn]] void agx_bench::Die(const std::string& msg) {
  std::fprintf(stderr, "bench_otlp_load: %s\n", msg.c_str());
  std::exit(2);
}

namespace {

using agx_bench::Connection;
using agx_bench::Die;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string file;
  bool json = false;
  int connections = 4;
  double seconds = 10;
};

Options ParseArgs(int argc, char** argv) {
  Options o;
  std::string encoding;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--host") o.host = value();
    else if (a == "--port") o.port = std::atoi(value().c_str());
    else if (a == "--file") o.file = value();
    else if (a == "--encoding") encoding = value();
    else if (a == "--connections") o.connections = std::atoi(value().c_str());
    else if (a == "--seconds") o.seconds = std::atof(value().c_str());
    else Die("unknown argument " + a + " (see the comment at the top of bench/otlp_load.cc)");
  }
  if (o.port <= 0 || o.port > 65535) Die("--port is required");
  if (o.file.empty()) Die("--file is required");
  if (encoding != "protobuf" && encoding != "json") Die("--encoding must be protobuf or json");
  o.json = encoding == "json";
  if (o.connections < 1 || o.seconds <= 0) Die("counts must be positive");
  return o;
}

struct Body {
  std::string data;
  long long spans = 0;
  std::vector<std::size_t> offsets;  // of the 4-byte id placeholders
};

std::vector<Body> ReadBodies(const Options& o) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) Die("cannot read " + o.file);
  std::vector<Body> bodies;
  std::string head;
  while (std::getline(in, head)) {
    std::istringstream h(head);
    std::size_t len = 0;
    Body b;
    std::string offsets;
    if (!(h >> len >> b.spans >> offsets)) Die("bad body header: " + head.substr(0, 80));
    for (std::size_t p = 0; p < offsets.size();) {
      const std::size_t comma = offsets.find(',', p);
      const std::size_t off = std::strtoul(offsets.c_str() + p, nullptr, 10);
      if (off + (o.json ? 8 : 4) > len) Die("placeholder offset past the body");
      b.offsets.push_back(off);
      p = comma == std::string::npos ? offsets.size() : comma + 1;
    }
    b.data.resize(len);
    if (!in.read(b.data.data(), static_cast<std::streamsize>(len))) Die("truncated body in " + o.file);
    bodies.push_back(std::move(b));
  }
  if (bodies.empty()) Die(o.file + " holds no bodies");
  return bodies;
}

// Writes request number `n` into every placeholder of `body`.
void Stamp(std::string& body, const std::vector<std::size_t>& offsets, std::uint32_t n, bool json) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t off : offsets) {
    for (int i = 0; i < 4; ++i) {
      const auto byte = static_cast<unsigned char>(n >> (24 - 8 * i));
      if (json) {
        body[off + 2 * i] = kHex[byte >> 4];
        body[off + 2 * i + 1] = kHex[byte & 15];
      } else {
        body[off + i] = static_cast<char>(byte);
      }
    }
  }
}

struct ThreadResult {
  long long acked = 0;
  long long requests = 0;
  long long retries = 0;
  long long partial = 0;
  long long abandoned = 0;  // still answered 429/503 (or no answer) at the deadline
  std::map<int, long long> statuses;
  std::string last_error_reply;
};

int Run(const Options& o) {
  const std::vector<Body> bodies = ReadBodies(o);
  const std::string type = o.json ? "application/json" : "application/x-protobuf";
  std::atomic<std::uint32_t> next{1};  // request numbers; 0 is never used (ids must not be 0)
  std::vector<ThreadResult> results(static_cast<std::size_t>(o.connections));
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  auto worker = [&](ThreadResult& r) {
    Connection conn(o.host, o.port);
    std::string reply, body;
    while (Clock::now() < deadline) {
      const std::uint32_t n = next.fetch_add(1);
      const Body& b = bodies[n % bodies.size()];
      body = b.data;
      Stamp(body, b.offsets, n, o.json);
      const std::string head = "POST /v1/traces HTTP/1.1\r\nHost: " + o.host + "\r\nContent-Type: " + type +
                               "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
      for (int attempt = 0;; ++attempt) {
        if (attempt > 0) ++r.retries;
        int status = 0;
        const bool ok = conn.RoundTrip(head, body, &status, &reply);
        ++r.statuses[ok ? status : 0];
        if (!ok || status == 429 || status == 503) {
          // Retried until the deadline (a full write-ahead log answers 503 until the next
          // snapshot), backing off from 1 to 64 ms; one still refused then is abandoned.
          if (Clock::now() >= deadline) {
            ++r.abandoned;
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(1 << std::min(attempt, 6)));
          continue;
        }
        ++r.requests;
        const bool partial = o.json ? reply.find("partialSuccess") != std::string::npos : !reply.empty();
        if (status == 200 && !partial) {
          r.acked += b.spans;
        } else {
          if (status == 200) ++r.partial;
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
    all.requests += r.requests;
    all.retries += r.retries;
    all.partial += r.partial;
    all.abandoned += r.abandoned;
    for (auto [k, v] : r.statuses) all.statuses[k] += v;
    if (!r.last_error_reply.empty()) all.last_error_reply = r.last_error_reply;
  }
  std::printf("{\"acked_spans\":%lld,\"requests\":%lld,\"seconds\":%.6f,\"spans_per_s\":%.1f,"
              "\"retries\":%lld,\"partial\":%lld,\"abandoned\":%lld,\"statuses\":{",
              all.acked, all.requests, secs, secs > 0 ? all.acked / secs : 0.0, all.retries, all.partial,
              all.abandoned);
  bool first = true;
  for (auto [k, v] : all.statuses) {
    std::printf("%s\"%d\":%lld", first ? "" : ",", k, v);
    first = false;
  }
  std::string err;  // printable: a protobuf answer is binary
  for (char c : all.last_error_reply) {
    if (c == '"' || c == '\\') err += '\\';
    err += (c >= 0x20 && c < 0x7f ? c : ' ');
  }
  std::printf("},\"last_error_reply\":\"%s\"}\n", err.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(ParseArgs(argc, argv)); }
