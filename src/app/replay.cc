#include "app/replay.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "app/version.h"
#include "ingest/pipeline.h"
#include "registry/registry.h"
#include "registry/sliding_window.h"

namespace agx {
namespace {

/// A growable byte buffer whose bytes start uninitialized (std::vector<char> zeroes them).
class ReadBuffer {
 public:
  explicit ReadBuffer(std::size_t n) : data_(std::make_unique_for_overwrite<char[]>(n)), size_(n) {}
  char* data() { return data_.get(); }
  std::size_t size() const { return size_; }
  /// Grows to `n` bytes, keeping the first `keep`.
  void Grow(std::size_t n, std::size_t keep) {
    auto bigger = std::make_unique_for_overwrite<char[]>(n);
    std::memcpy(bigger.get(), data_.get(), keep);
    data_ = std::move(bigger);
    size_ = n;
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_;
};

}  // namespace

int RunReplay(const Config& config, ExpositionFormat format,
              const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  RegistryOptions options;
  options.series_limit = config.registry.series_limit;
  options.max_series = config.registry.max_series;
  options.label_value_max_bytes = config.registry.label_value_max_bytes;
  options.buckets = config.registry.buckets;
  Registry registry(options);
  TaskWindows windows(registry, config.registry.window);
  Pipeline pipeline(registry, windows, config, nullptr);
  registry.Gauge(MetricId::kBuildInfo, {AGX_VERSION, AGX_REVISION}).Set(1);

  int exit_code = 0;
  std::size_t total_lines = 0, accepted = 0, rejected = 0;
  std::size_t by_reason[kRejectReasonCount] = {};
  constexpr std::size_t kBatch = 4096;
  constexpr std::size_t kMaxErrorLines = 20;
  std::size_t error_lines_printed = 0;
  // Read in large chunks and hand the pipeline views into the chunk: no allocation or copy
  // per line (the parser copies each line into its own padded buffer anyway).
  // The buffer is not zeroed first: read() fills what is used (zeroing 4 MiB costs 2 % of a
  // million-event replay).
  constexpr std::size_t kChunk = std::size_t{4} << 20;
  ReadBuffer buf(kChunk);
  std::vector<std::string_view> views;
  std::vector<std::size_t> view_line_nos;  // file line number of each view
  views.reserve(kBatch);
  view_line_nos.reserve(kBatch);
  for (const auto& path : files) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      err << "replay: cannot read " << path << ": " << std::strerror(errno) << "\n";
      exit_code = 1;
      continue;
    }
    std::size_t line_no = 0;
    auto flush = [&] {
      if (views.empty()) return;
      BatchResult r = pipeline.Apply(Source::kFile, views, true);
      accepted += r.accepted;
      rejected += r.rejected;
      for (std::size_t i = 0; i < kRejectReasonCount; ++i) by_reason[i] += r.rejected_by_reason[i];
      for (const auto& e : r.errors) {
        if (error_lines_printed++ >= kMaxErrorLines) break;
        err << path << ":" << view_line_nos[e.line - 1] << ": " << RejectReasonName(e.reason)
            << ": " << e.message << "\n";
      }
      views.clear();
      view_line_nos.clear();
    };
    auto take = [&](std::string_view line) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) return;
      views.push_back(line);
      view_line_nos.push_back(line_no);
      if (views.size() == kBatch) flush();
    };
    std::size_t held = 0;       // bytes of an unterminated line at the start of buf
    bool skipping = false;      // inside a line longer than the buffer may grow
    const std::size_t max_buf = std::max(kChunk, config.ingest.max_line_bytes + 2);
    bool read_error = false;
    while (true) {
      if (held == buf.size()) {
        if (buf.size() < max_buf) {
          buf.Grow(std::min(max_buf, 2 * buf.size()), held);
        } else {  // a line over ingest.max_line_bytes: skip it up to its newline
          skipping = true;
          held = 0;
        }
      }
      const ssize_t n = ::read(fd, buf.data() + held, buf.size() - held);
      if (n < 0) {
        if (errno == EINTR) continue;
        err << "replay: cannot read " << path << ": " << std::strerror(errno) << "\n";
        exit_code = 1;
        read_error = true;
        break;
      }
      if (n == 0) break;
      const char* p = buf.data();
      const char* end = buf.data() + held + static_cast<std::size_t>(n);
      const char* scan = buf.data() + held;
      while (const void* nl = std::memchr(scan, '\n', static_cast<std::size_t>(end - scan))) {
        const char* e = static_cast<const char*>(nl);
        if (skipping) {
          skipping = false;
          ++line_no;
          pipeline.CountRejected(Source::kFile, RejectReason::kLineTooLong, 1);
          ++rejected;
          ++by_reason[static_cast<std::size_t>(RejectReason::kLineTooLong)];
        } else {
          take(std::string_view(p, static_cast<std::size_t>(e - p)));
        }
        p = scan = e + 1;
      }
      // The views point into buf: apply them before the tail moves to the front.
      flush();
      held = skipping ? 0 : static_cast<std::size_t>(end - p);
      if (held > 0 && p != buf.data()) std::memmove(buf.data(), p, held);
    }
    ::close(fd);
    if (!read_error && held > 0 && !skipping) take(std::string_view(buf.data(), held));
    flush();
    total_lines += line_no;
  }
  windows.Refresh();
  std::string body;
  WriteExposition(registry.Collect(), format, &body);
  out << body;
  err << "replay: " << files.size() << " file(s), " << accepted << " event(s) applied, "
      << rejected << " line(s) rejected";
  for (std::size_t i = 1; i < kRejectReasonCount; ++i) {
    if (by_reason[i] > 0) err << " " << RejectReasonName(static_cast<RejectReason>(i)) << "=" << by_reason[i];
  }
  err << "\n";
  return exit_code;
}

}  // namespace agx
