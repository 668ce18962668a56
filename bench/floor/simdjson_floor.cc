// bench_simdjson_floor: the parse floor of the benchmark. Reads a JSON-lines file in 4 MiB
// chunks, splits the lines, parses each with simdjson On-Demand, visits every key of the
// object and sums one field ("ts"). Nothing else: no validation beyond what simdjson does,
// no metrics. The reference of issue 6's replay target (bench/README.md).
//
//   bench_simdjson_floor FILE
// Prints: lines=N objects=N errors=N sum_ts=S kernel=NAME. Exit 1 when FILE cannot be read.
// Single-threaded program; nothing is shared.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace {

constexpr std::size_t kChunk = std::size_t{4} << 20;

struct Totals {
  std::size_t lines = 0;
  std::size_t objects = 0;
  std::size_t errors = 0;
  double sum_ts = 0;
};

// Parses one line. `capacity` is how many readable bytes start at `data` (at least
// len + SIMDJSON_PADDING): the parser reads the padding but never interprets it.
void ParseLine(simdjson::ondemand::parser& parser, const char* data, std::size_t len,
               std::size_t capacity, Totals& t) {
  ++t.lines;
  simdjson::ondemand::document doc;
  if (parser.iterate(data, len, capacity).get(doc) != simdjson::SUCCESS) {
    ++t.errors;
    return;
  }
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    ++t.errors;
    return;
  }
  bool ok = true;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      ok = false;
      break;
    }
    if (key == "ts") {
      double ts = 0;
      if (field.value().get_double().get(ts) == simdjson::SUCCESS) {
        t.sum_ts += ts;
      } else {
        ok = false;
      }
    }
  }
  if (ok) {
    ++t.objects;
  } else {
    ++t.errors;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  const int fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "%s: %s\n", argv[1], std::strerror(errno));
    return 1;
  }
  simdjson::ondemand::parser parser;
  Totals t;
  // The buffer keeps SIMDJSON_PADDING spare bytes past any data read into it.
  std::vector<char> buf(kChunk + simdjson::SIMDJSON_PADDING);
  std::size_t held = 0;  // bytes of an unfinished line at the front of buf
  for (;;) {
    if (held == buf.size() - simdjson::SIMDJSON_PADDING) {  // one line fills the buffer
      buf.resize(2 * buf.size());
    }
    const ssize_t n = ::read(fd, buf.data() + held, buf.size() - simdjson::SIMDJSON_PADDING - held);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "%s: %s\n", argv[1], std::strerror(errno));
      ::close(fd);
      return 1;
    }
    if (n == 0) break;
    char* const base = buf.data();
    const char* const end = base + held + n;
    const char* const cap_end = base + buf.size();
    const char* p = base;
    while (const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p))) {
      const char* e = static_cast<const char*>(nl);
      if (e > p) ParseLine(parser, p, static_cast<std::size_t>(e - p),
                           static_cast<std::size_t>(cap_end - p), t);
      p = e + 1;
    }
    held = static_cast<std::size_t>(end - p);
    if (held > 0 && p != base) std::memmove(base, p, held);
  }
  ::close(fd);
  if (held > 0) ParseLine(parser, buf.data(), held, buf.size(), t);
  std::printf("lines=%zu objects=%zu errors=%zu sum_ts=%.3f kernel=%s\n", t.lines, t.objects,
              t.errors, t.sum_ts, simdjson::builtin_implementation()->name().c_str());
  return 0;
}
