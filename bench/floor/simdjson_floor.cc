// bench_simdjson_floor: the parse floor of the benchmark. Reads a JSON-lines file in 4 MiB
// chunks, splits the lines, parses each with simdjson On-Demand and visits every key and
// every value of the line, recursively: objects and arrays are walked, keys and strings
// unescaped, numbers read (as int64, uint64 or double, whichever simdjson finds), booleans
// and nulls read. What it reads goes into a checksum so that nothing can be skipped.
// Nothing else: no validation beyond what simdjson does, no metrics. The reference of
// issue 6's replay target (bench/README.md).
//
//   bench_simdjson_floor FILE
// Prints: lines=N objects=N errors=N values=N string_bytes=N sum=S kernel=NAME. A line
// that is not a JSON object, or any value of it that does not parse, is an error; the
// exit status is 1 when FILE cannot be read or any line had an error (a floor that stops
// early on some lines measures less than it claims).
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
  std::size_t values = 0;        // every value read: scalars, objects and arrays
  std::size_t string_bytes = 0;  // unescaped bytes of keys and strings
  double sum = 0;                // sum of every number
};

// Reads `v` and everything below it. \return false at the first error.
bool Visit(simdjson::ondemand::value v, Totals& t) {
  ++t.values;
  simdjson::ondemand::json_type type;
  if (v.type().get(type) != simdjson::SUCCESS) return false;
  switch (type) {
    case simdjson::ondemand::json_type::object: {
      simdjson::ondemand::object obj;
      if (v.get_object().get(obj) != simdjson::SUCCESS) return false;
      for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
        t.string_bytes += key.size();
        if (!Visit(field.value(), t)) return false;
      }
      return true;
    }
    case simdjson::ondemand::json_type::array: {
      simdjson::ondemand::array arr;
      if (v.get_array().get(arr) != simdjson::SUCCESS) return false;
      for (auto element : arr) {
        simdjson::ondemand::value e;
        if (element.get(e) != simdjson::SUCCESS || !Visit(e, t)) return false;
      }
      return true;
    }
    case simdjson::ondemand::json_type::number: {
      simdjson::ondemand::number n;
      if (v.get_number().get(n) != simdjson::SUCCESS) return false;
      switch (n.get_number_type()) {
        case simdjson::ondemand::number_type::signed_integer:
          t.sum += static_cast<double>(n.get_int64());
          break;
        case simdjson::ondemand::number_type::unsigned_integer:
          t.sum += static_cast<double>(n.get_uint64());
          break;
        default:  // floating_point_number, big_integer
          t.sum += n.as_double();
          break;
      }
      return true;
    }
    case simdjson::ondemand::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) return false;
      t.string_bytes += s.size();
      return true;
    }
    case simdjson::ondemand::json_type::boolean: {
      bool b = false;
      if (v.get_bool().get(b) != simdjson::SUCCESS) return false;
      t.sum += b ? 1 : 0;
      return true;
    }
    case simdjson::ondemand::json_type::null: {
      bool is_null = false;
      return v.is_null().get(is_null) == simdjson::SUCCESS && is_null;
    }
  }
  return false;
}

// Parses one line. `capacity` is how many readable bytes start at `data` (at least
// len + SIMDJSON_PADDING): the parser reads the padding but never interprets it.
void ParseLine(simdjson::ondemand::parser& parser, const char* data, std::size_t len,
               std::size_t capacity, Totals& t) {
  ++t.lines;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(data, len, capacity).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(obj) != simdjson::SUCCESS) {
    ++t.errors;
    return;
  }
  bool ok = true;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS || !Visit(field.value(), t)) {
      ok = false;
      break;
    }
    t.string_bytes += key.size();
  }
  // Bytes after the object are an error too: at the end, current_location() has none left.
  if (ok && doc.current_location().error() != simdjson::OUT_OF_BOUNDS) ok = false;
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
  std::printf("lines=%zu objects=%zu errors=%zu values=%zu string_bytes=%zu sum=%.3f kernel=%s\n",
              t.lines, t.objects, t.errors, t.values, t.string_bytes, t.sum,
              simdjson::builtin_implementation()->name().c_str());
  return t.errors == 0 ? 0 : 1;
}
