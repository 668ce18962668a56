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
#include "tail/line_splitter.h"
#include "transcript/transcript_ingest.h"

namespace agx {
namespace {

/// A read buffer whose bytes start uninitialized (std::vector<char> zeroes them).
class ReadBuffer {
 public:
  explicit ReadBuffer(std::size_t n) : data_(std::make_unique_for_overwrite<char[]>(n)), size_(n) {}
  char* data() { return data_.get(); }
  std::size_t size() const { return size_; }

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
  // per line (the parser copies each line into its own padded buffer anyway); only a line
  // cut by the chunk's end is copied, by the splitter.
  // The buffer is not zeroed first: read() fills what is used (zeroing 4 MiB costs 2 % of a
  // million-event replay).
  constexpr std::size_t kChunk = std::size_t{4} << 20;
  ReadBuffer buf(kChunk);
  // A line the splitter skips is counted line_too_long here; a shorter one over
  // max_line_bytes reaches the pipeline, which rejects it the same way.
  detail::LineSplitter splitter(std::max(kChunk, max_line_bytes + 2) - 1);
  std::vector<std::string_view> lines;  // of one chunk, from the splitter
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
    auto print_error = [&](std::size_t at_line, RejectReason reason, std::string_view message) {
      if (error_lines_printed++ >= kMaxErrorLines) return;
      err << path << ":" << at_line << ": " << RejectReasonName(reason) << ": " << message << "\n";
    };
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
      for (const auto& e : r.errors) print_error(view_line_nos[e.line - 1], e.reason, e.message);
      views.clear();
      view_line_nos.clear();
    };
    // Applies the lines the splitter ends in `chunk` (the bytes read last).
    // A chunk and the partial line before it hold at most kChunk bytes (see the read below)
    // and the splitter's limit is at least kChunk - 1, so a line inside a chunk is never
    // oversized: only the first line a chunk ends can be, and line numbers follow from
    // the count, with no per-line offsets.
    auto take = [&](std::string_view chunk) {
      const detail::LineSplitter::Result r = splitter.Split(chunk, &lines);
      if (r.oversized > 0) {
        line_no += r.oversized;
        pipeline.CountRejected(source, RejectReason::kLineTooLong, r.oversized);
        rejected += r.oversized;
        by_reason[static_cast<std::size_t>(RejectReason::kLineTooLong)] += r.oversized;
        if (!transcripts) {
          print_error(line_no, RejectReason::kLineTooLong, "line exceeds ingest.max_line_bytes");
        }
      }
      position.offset = read_bytes - splitter.pending_bytes();  // past the last line ended
      for (std::string_view line : lines) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        views.push_back(line);
        view_line_nos.push_back(line_no);
        if (views.size() == kBatch) flush();
      }
      // The views point into the chunk or the splitter: apply them before the next Split.
      flush();
    };
    bool read_error = false;
    while (true) {
      // A chunk and the partial line before it make at most kChunk bytes (unless an
      // oversized line is being skipped), so that the batches, and the order of their float
      // sums, are those of a buffer that keeps the partial line in front of the next read.
      const std::size_t pending = splitter.pending_bytes();
      const std::size_t want = pending < buf.size() ? buf.size() - pending : buf.size();
      const ssize_t n = ::read(fd, buf.data(), want);
      if (n < 0) {
        if (errno == EINTR) continue;
        err << "replay: cannot read " << path << ": " << std::strerror(errno) << "\n";
        exit_code = 1;
        read_error = true;
        break;
      }
      if (n == 0) break;
      read_bytes += static_cast<std::uint64_t>(n);
      take(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    }
    ::close(fd);
    // An unterminated last line counts as a line (an oversized one as line_too_long).
    if (!read_error && splitter.pending_bytes() > 0) take("\n");
    splitter.Reset();
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
