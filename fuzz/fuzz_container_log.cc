// Fuzz target: container log records (tail/container_record.h) through LineSplitter and
// ContainerLogDecoder as FileTailer runs them. The first byte picks the format (bit 0: CRI
// or Docker json-file) and max_line_bytes (16 << bits 1-3); the second the read size; the
// rest is the file. Properties:
// - every line handed on starts with '{' (after whitespace) and is at most max_line_bytes;
// - positions never go back and are never past the bytes read;
// - reading in chunks gives the same lines, counts and final position as reading at once;
// - exactly once: a reader restarted at the position saved half-way hands on exactly the
//   lines the uninterrupted reader handed on after that point, in the same order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "tail/container_log_decoder.h"
#include "tail/line_splitter.h"

namespace {

using agx::ContainerLogFormat;
using agx::detail::ContainerLogDecoder;
using agx::detail::LineSplitter;

struct Run {
  std::vector<std::string> lines;
  std::vector<std::uint64_t> offsets;  // the position after each chunk
  std::size_t oversized = 0, not_json = 0, bad = 0;
};

// Reads file[from:] in chunks of `chunk` bytes (0: at once); stops after `stop` bytes.
Run Read(ContainerLogFormat f, std::size_t max_line, std::string_view file, std::uint64_t from,
         std::size_t chunk, std::size_t stop) {
  Run run;
  LineSplitter splitter(agx::detail::MaxRecordBytes(f, max_line));
  ContainerLogDecoder decoder(f, max_line, from);
  std::vector<std::string_view> lines;
  std::vector<LineSplitter::LineEnd> ends;
  ContainerLogDecoder::Output out;
  std::uint64_t pos = from;
  std::uint64_t offset = from;
  while (pos < file.size() && pos - from < stop) {
    std::size_t n = chunk == 0 ? file.size() - pos : chunk;
    if (n > file.size() - pos) n = file.size() - pos;
    if (n > stop - (pos - from)) n = stop - (pos - from);
    const auto r = splitter.Split(file.substr(pos, n), &lines, &ends);
    const std::uint64_t start = pos;
    pos += n;
    if (r.any_newline) {
      decoder.Decode(start, lines, ends, &out);
      AGX_FUZZ_CHECK(out.offset >= offset, "the position never goes back");
      AGX_FUZZ_CHECK(out.offset <= pos, "the position is within what was read");
      offset = out.offset;
      for (std::string_view l : out.lines) {
        AGX_FUZZ_CHECK(l.size() <= max_line, "a line within max_line_bytes");
        const std::size_t first = l.find_first_not_of(" \t\r\n");
        AGX_FUZZ_CHECK(first != std::string_view::npos && l[first] == '{',
                       "a line handed on starts with '{'");
        run.lines.emplace_back(l);
      }
      run.oversized += out.oversized;
      run.not_json += out.not_json;
      run.bad += out.bad_records;
    }
    run.offsets.push_back(offset);
  }
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const ContainerLogFormat f =
      (data[0] & 1) != 0 ? ContainerLogFormat::kDockerJson : ContainerLogFormat::kCri;
  const std::size_t max_line = std::size_t{16} << ((data[0] >> 1) & 7);
  const std::size_t chunk = 1 + data[1] % 64;
  const std::string_view file(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::size_t all = file.size();

  const Run whole = Read(f, max_line, file, 0, 0, all);
  const Run chunked = Read(f, max_line, file, 0, chunk, all);
  AGX_FUZZ_CHECK(chunked.lines == whole.lines, "the same lines whatever the reads");
  AGX_FUZZ_CHECK(chunked.oversized == whole.oversized && chunked.not_json == whole.not_json &&
                     chunked.bad == whole.bad,
                 "the same counts whatever the reads");
  AGX_FUZZ_CHECK(chunked.offsets.empty() || whole.offsets.empty() ||
                     chunked.offsets.back() == whole.offsets.back(),
                 "the same final position");

  // Half-way: what was handed on up to the saved position, then a fresh reader from it.
  const Run first = Read(f, max_line, file, 0, chunk, all / 2);
  const std::uint64_t saved = first.offsets.empty() ? 0 : first.offsets.back();
  const Run rest = Read(f, max_line, file, saved, chunk, all);
  std::vector<std::string> joined = first.lines;
  joined.insert(joined.end(), rest.lines.begin(), rest.lines.end());
  AGX_FUZZ_CHECK(joined == whole.lines, "a restart at the saved position: each line once");
  return 0;
}
