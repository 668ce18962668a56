#include "app/replay.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "app/registry_options.h"
#include "app/version.h"
#include "ingest/pipeline.h"
#include "registry/registry.h"
#include "registry/sliding_window.h"
#include "transcript/transcript_ingest.h"

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

/// Sum of the samples of counter `family` whose label `label` is `value`.
double SumWhere(const Snapshot& snap, std::string_view family, std::string_view label,
                std::string_view value) {
  const FamilySnapshot* f = snap.Find(family);
  if (f == nullptr) return 0;
  double sum = 0;
  for (std::size_t i = 0; i < f->label_names.size(); ++i) {
    if (f->label_names[i] != label) continue;
    for (const SeriesSnapshot& s : f->series) {
      if (s.label_values[i] == value) sum += s.value;
    }
  }
  return sum;
}

}  // namespace

int RunReplay(const Config& config, ExpositionFormat format,
              const std::vector<std::string>& files, std::ostream& out, std::ostream& err,
              ReplayInput input) {
  Registry registry(MakeRegistryOptions(config));
  TaskWindows windows(registry, config.registry.window);
  Pipeline pipeline(registry, windows, config, nullptr);
  registry.Gauge(MetricId::kBuildInfo, {AGX_VERSION, AGX_REVISION}).Set(1);
  // Transcripts go through the same ingest as when tailed (mapper, then pipeline), so a
  // replay counts them exactly as `serve` would.
  std::unique_ptr<transcript::TranscriptIngest> transcripts;
  if (input != ReplayInput::kNative) {
    const auto fmt = input == ReplayInput::kClaudeCode ? transcript::Format::kClaudeCode
                                                       : transcript::Format::kCodex;
    const TranscriptsConfig& c = config.ingest.transcripts;
    transcript::MapperLimits limits;
    limits.agent_id = fmt == transcript::Format::kClaudeCode ? c.claude_code.agent_id
                                                              : c.codex.agent_id;
    limits.max_messages = c.max_messages;
    limits.max_pending_tools = c.max_pending_tool_calls;
    limits.max_files = c.max_sessions;
    limits.label_value_max_bytes = config.registry.label_value_max_bytes;
    limits.pricing = config.pricing;
    transcripts = std::make_unique<transcript::TranscriptIngest>(
        pipeline, registry, fmt, transcript::MakeMapper(fmt, std::move(limits)));
  }
  const Source source = transcripts ? Source::kTranscript : Source::kFile;
  const std::size_t max_line_bytes =
      transcripts ? config.ingest.transcripts.max_line_bytes : config.ingest.max_line_bytes;

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
    FilePosition position{path, 0, 0, 0};
    if (struct stat st{}; ::fstat(fd, &st) == 0) {
      position.dev = static_cast<std::uint64_t>(st.st_dev);
      position.ino = static_cast<std::uint64_t>(st.st_ino);
    }
    std::uint64_t read_bytes = 0;  // of the file so far
    auto flush = [&] {
      if (views.empty()) return;
      if (transcripts) {
        transcripts->OnLines(position, views, 0);
        views.clear();
        view_line_nos.clear();
        return;
      }
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
    const std::size_t max_buf = std::max(kChunk, max_line_bytes + 2);
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
      read_bytes += static_cast<std::uint64_t>(n);
      const char* p = buf.data();
      const char* end = buf.data() + held + static_cast<std::size_t>(n);
      const char* scan = buf.data() + held;
      while (const void* nl = std::memchr(scan, '\n', static_cast<std::size_t>(end - scan))) {
        const char* e = static_cast<const char*>(nl);
        if (skipping) {
          skipping = false;
          ++line_no;
          pipeline.CountRejected(source, RejectReason::kLineTooLong, 1);
          ++rejected;
          ++by_reason[static_cast<std::size_t>(RejectReason::kLineTooLong)];
        } else {
          take(std::string_view(p, static_cast<std::size_t>(e - p)));
        }
        p = scan = e + 1;
      }
      // The views point into buf: apply them before the tail moves to the front.
      position.offset = read_bytes - static_cast<std::uint64_t>(end - p);
      flush();
      held = skipping ? 0 : static_cast<std::size_t>(end - p);
      if (held > 0 && p != buf.data()) std::memmove(buf.data(), p, held);
    }
    ::close(fd);
    if (!read_error && held > 0 && !skipping) take(std::string_view(buf.data(), held));
    position.offset = read_bytes;
    flush();
    total_lines += line_no;
  }
  windows.Refresh();
  std::string body;
  const Snapshot snap = registry.Collect();
  WriteExposition(snap, format, &body);
  out << body;
  if (transcripts) {
    accepted = static_cast<std::size_t>(
        SumWhere(snap, "agent_exporter_events_total", "source", "transcript"));
    rejected = static_cast<std::size_t>(
        SumWhere(snap, "agent_exporter_events_rejected_total", "source", "transcript"));
    err << "replay: " << files.size() << " file(s), " << total_lines << " line(s), " << accepted
        << " event(s) applied, " << rejected << " line(s) rejected, "
        << static_cast<std::size_t>(SumWhere(snap, "agent_exporter_transcript_dropped_total",
                                             "format", FormatName(transcripts->format())))
        << " line(s) with nothing to count\n";
    return exit_code;
  }
  err << "replay: " << files.size() << " file(s), " << accepted << " event(s) applied, "
      << rejected << " line(s) rejected";
  for (std::size_t i = 1; i < kRejectReasonCount; ++i) {
    if (by_reason[i] > 0) err << " " << RejectReasonName(static_cast<RejectReason>(i)) << "=" << by_reason[i];
  }
  err << "\n";
  return exit_code;
}

}  // namespace agx
