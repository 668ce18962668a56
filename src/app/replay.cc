#include "app/replay.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "app/version.h"
#include "ingest/pipeline.h"
#include "registry/registry.h"
#include "registry/sliding_window.h"

namespace agx {

int RunReplay(const Config& config, ExpositionFormat format,
              const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  RegistryOptions options;
  options.series_limit = config.registry.series_limit;
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
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      err << "replay: cannot read " << path << ": " << std::strerror(errno) << "\n";
      exit_code = 1;
      continue;
    }
    std::vector<std::string> batch;
    std::vector<std::size_t> batch_line_nos;  // file line number of each batch entry
    std::vector<std::string_view> views;
    std::size_t line_no = 0;
    auto flush = [&] {
      views.assign(batch.begin(), batch.end());
      BatchResult r = pipeline.Apply(Source::kFile, views, true);
      accepted += r.accepted;
      rejected += r.rejected;
      for (std::size_t i = 0; i < kRejectReasonCount; ++i) by_reason[i] += r.rejected_by_reason[i];
      for (const auto& e : r.errors) {
        if (error_lines_printed++ >= kMaxErrorLines) break;
        err << path << ":" << batch_line_nos[e.line - 1] << ": "
            << RejectReasonName(e.reason) << ": " << e.message << "\n";
      }
      batch.clear();
      batch_line_nos.clear();
    };
    std::string line;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      batch.push_back(std::move(line));
      batch_line_nos.push_back(line_no);
      if (batch.size() == kBatch) flush();
    }
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
