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

#include "http_connection.h"

namespace {

using agx_bench::Connection;

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

}  // namespace

[[noreturn]] void agx_bench::Die(const std::string& msg) {
  std::fprintf(stderr, "bench_push_load: %s\n", msg.c_str());
  std::exit(2);
}

namespace {

using agx_bench::Die;

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
