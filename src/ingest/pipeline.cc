#include "ingest/pipeline.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/text.h"
#include "common/utf8.h"
#include "ingest/event_parser.h"
#include "registry/registry.h"
#include "registry/sliding_window.h"
#include "registry/update_batch.h"
#include "state/wal.h"
#include "state/wal_batch.h"

namespace agx {
namespace {

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One parser per thread: simdjson parsers are not thread-safe, and keeping one per thread
// lets its buffers stay warm. The line length limit is checked by the pipeline itself.
EventParser& ThreadParser() {
  thread_local EventParser parser(std::size_t{1} << 40);
  return parser;
}

// One update batch per thread (update_batch.h): a batch of lines touches each series once.
// Empty between ApplyLocked calls, so pipelines (and registries) may share it.
UpdateBatch& ThreadBatch() {
  thread_local UpdateBatch batch;
  return batch;
}



/// `name="value",…` for a log line, each value cut to 64 bytes.
std::string LabelText(std::string_view metric, const std::vector<std::string>& values) {
  const MetricSpec* spec = FindMetric(metric);
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += spec != nullptr && i < spec->labels.size() ? spec->labels[i] : std::string_view("?");
    const std::string_view v = TruncateUtf8(values[i], 64);
    out.append("=\"").append(v).append(v.size() < values[i].size() ? "...\"" : "\"");
  }
  return out;
}

// What a restore could not restore as saved, one line each (the registry and the windows
// counted it in agent_exporter_state_restore_errors_total{metric,reason}).
void LogRestoreIssues(const RestoreReport& r, const TaskWindows::LoadReport& w) {
  for (const RestoreIssue& i : r.issues) {
    if (i.label_values.empty()) {
      log::Warn("state: metric not restored", {{"metric", i.metric},
                                               {"reason", i.reason},
                                               {"detail", i.detail},
                                               {"series", std::to_string(i.series)}});
    } else {
      log::Warn(i.reason == "non_finite_sum" ? "state: histogram restored without its sum"
                                             : "state: series not restored",
                {{"metric", i.metric},
                 {"labels", LabelText(i.metric, i.label_values)},
                 {"reason", i.reason},
                 {"detail", i.detail}});
    }
  }
  if (r.more_issues > 0) {
    log::Warn("state: more series not restored as saved, not listed",
              {{"issues", std::to_string(r.more_issues)},
               {"counted_in", "agent_exporter_state_restore_errors_total"}});
  }
  if (w.window_changed) {
    log::Warn("state: sliding windows not restored (registry.window changed)",
              {{"keys", std::to_string(w.keys_dropped)}});
  }
  if (w.slots_skipped > 0) {
    log::Warn("state: sliding-window slots not restored (impossible counts or not finite)",
              {{"slots", std::to_string(w.slots_skipped)}});
  }
}

}  // namespace

std::string_view SourceName(Source s) {
  switch (s) {
    case Source::kFile: return "file";
    case Source::kPush: return "push";
    case Source::kOtlp: return "otlp";
    case Source::kTranscript: return "transcript";
    case Source::kCount: break;
  }
  return "unknown";
}

Pipeline::Pipeline(Registry& registry, TaskWindows& windows, const Config& config, Wal* wal)
    : registry_(registry),
      windows_(windows),
      mapper_(registry, windows, config.pricing),
      wal_(wal),
      max_line_bytes_(config.ingest.max_line_bytes),
      max_json_depth_(config.ingest.max_json_depth),
      max_wal_bytes_(config.state.max_wal_bytes),
      checkpoint_wal_bytes_(config.state.checkpoint_wal_bytes) {
  wal_io_errors_ = &registry_.Counter(MetricId::kWalAppendFailures, {"io_error"});
  wal_size_limit_ = &registry_.Counter(MetricId::kWalAppendFailures, {"size_limit"});
  // Resolve the self-metric series once: the hot path then only increments, and every
  // reason is exported as 0 from the start so that rate() and alerts work at once.
  for (std::size_t s = 0; s < static_cast<std::size_t>(Source::kCount); ++s) {
    auto source = SourceName(static_cast<Source>(s));
    for (std::size_t t = 0; t < kEventTypeCount; ++t) {
      events_[s][t] = &registry_.Counter(
          MetricId::kEvents, {source, EventTypeName(static_cast<EventType>(t))});
    }
    for (std::size_t r = 1; r < kRejectReasonCount; ++r) {
      rejected_[s][r] = &registry_.Counter(
          MetricId::kEventsRejected, {source, RejectReasonName(static_cast<RejectReason>(r))});
    }
  }
}

Pipeline::~Pipeline() = default;

void Pipeline::CountRejected(Source source, RejectReason reason, std::size_t n) {
  if (n == 0) return;
  rejected_[static_cast<std::size_t>(source)][static_cast<std::size_t>(reason)]->Inc(
      static_cast<double>(n));
}

void Pipeline::ApplyLocked(Source source, std::span<const std::string_view> lines,
                           bool want_errors, BatchResult* out) {
  EventParser& parser = ThreadParser();
  parser.set_max_depth(max_json_depth_);  // the parser is per thread, shared by pipelines
  UpdateBatch& batch = ThreadBatch();
  // Applied however this returns: the batch must be empty before the caller's lock is
  // released (a snapshot then sees the batch whole) and before another pipeline uses it.
  struct FlushAtExit {
    UpdateBatch& b;
    ~FlushAtExit() { b.Flush(); }
  } flush_at_exit{batch};
  AgentEvent event;
  const double now = NowSeconds();
  const auto s = static_cast<std::size_t>(source);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    // Blank lines carry no event: skipped, neither applied nor rejected.
    if (IsBlank(line)) continue;
    ParseError err;
    if (line.size() > max_line_bytes_) {
      err = {RejectReason::kLineTooLong, "line exceeds ingest.max_line_bytes"};
    } else {
      err = parser.Parse(line, &event);  // resets `event` first
    }
    if (err.reason != RejectReason::kNone) {
      ++out->rejected;
      ++out->rejected_by_reason[static_cast<std::size_t>(err.reason)];
      CountRejected(source, err.reason, 1);
      if (want_errors && out->errors.size() < BatchResult::kMaxReportedErrors) {
        out->errors.push_back({i + 1, err.reason, std::string(err.detail)});
      }
      continue;
    }
    mapper_.Apply(event, now, batch);
    batch.Inc(*events_[s][static_cast<std::size_t>(event.type)]);
    ++out->accepted;
  }
}

BatchResult Pipeline::Apply(Source source, std::span<const std::string_view> lines,
                            bool want_errors) {
  BatchResult result;
  std::shared_lock lock(apply_mu_);
  ApplyLocked(source, lines, want_errors, &result);
  return result;
}

void Pipeline::OnLines(const FilePosition& after, std::span<const std::string_view> lines,
                       std::size_t oversized) {
  OnLinesWithAnnex(after, lines, oversized, {});
}

void Pipeline::OnLinesWithAnnex(const FilePosition& after, std::span<const std::string_view> lines,
                                std::size_t oversized, std::string_view annex) {
  std::shared_lock lock(apply_mu_);
  OnLinesLocked(Source::kFile, after, lines, oversized);
  if (annex_ != nullptr && !annex.empty()) annex_->Apply(annex, false);
}

void Pipeline::OnLinesLocked(Source source, const FilePosition& after,
                             std::span<const std::string_view> lines, std::size_t oversized) {
  BatchResult result;
  ApplyLocked(source, lines, false, &result);
  CountRejected(source, RejectReason::kLineTooLong, oversized);
  std::lock_guard pos_lock(positions_mu_);
  auto [it, inserted] = positions_.try_emplace({after.dev, after.ino}, after);
  if (!inserted) {
    it->second.offset = after.offset;
    if (it->second.path != after.path) it->second.path = after.path;
  }
}

void Pipeline::OnFileClosed(const FilePosition& last) {
  std::shared_lock lock(apply_mu_);
  OnFileClosedLocked(last);
}

void Pipeline::OnFileClosedLocked(const FilePosition& last) {
  std::lock_guard pos_lock(positions_mu_);
  positions_.erase({last.dev, last.ino});
}

void Pipeline::AddStateSection(std::string name, StateSection* section) {
  sections_.emplace_back(std::move(name), section);
}

Result<BatchResult> Pipeline::Push(std::span<const std::string_view> lines, Source source,
                                   std::string_view annex) {
  if (annex_ == nullptr) annex = {};
  // Validate first so that only valid lines are logged; then log and apply under the
  // shared lock, so that Capture() sees either the whole batch with its WAL sequence, or
  // neither.
  BatchResult result;
  std::vector<std::string_view> valid;
  valid.reserve(lines.size());
  {
    EventParser& parser = ThreadParser();
    parser.set_max_depth(max_json_depth_);
    AgentEvent event;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      ParseError err;
      if (lines[i].size() > max_line_bytes_) {
        err = {RejectReason::kLineTooLong, "line exceeds ingest.max_line_bytes"};
      } else {
        err = parser.Parse(lines[i], &event);
      }
      if (err.reason == RejectReason::kNone) {
        valid.push_back(lines[i]);
        continue;
      }
      ++result.rejected;
      ++result.rejected_by_reason[static_cast<std::size_t>(err.reason)];
      if (result.errors.size() < BatchResult::kMaxReportedErrors) {
        result.errors.push_back({i + 1, err.reason, std::string(err.detail)});
      }
    }
  }
  std::shared_lock lock(apply_mu_);
  if ((!valid.empty() || !annex.empty()) && wal_ != nullptr) {
    // Each event framed by its length (state/wal_batch.h): a pushed event may hold raw
    // newlines (a pretty-printed JSON array element) and must replay whole.
    std::string payload;
    state_detail::EncodeWalBatch(source == Source::kOtlp ? state_detail::BatchSource::kOtlp
                                                         : state_detail::BatchSource::kPush,
                                 annex, valid, &payload);
    if (wal_->bytes() + payload.size() > max_wal_bytes_) {
      wal_size_limit_->Inc();
      return Error{"write-ahead log is at state.max_wal_bytes (" + std::to_string(max_wal_bytes_) +
                   " bytes); pushes resume after the next snapshot compacts it"};
    }
    auto seq = wal_->Append(payload);
    if (!seq.ok()) {
      wal_io_errors_->Inc();
      if (!wal_failing_.exchange(true)) {
        log::Error("write-ahead log failing: pushes get 503 until it recovers",
                   {{"err", seq.error()}});
      }
      return Error{"write-ahead log: " + seq.error()};
    }
    if (wal_failing_.exchange(false)) log::Info("write-ahead log writable again", {});
    // Checkpoint by log size: the snapshot thread compacts the log long before it reaches
    // max_wal_bytes, so a sustained push rate is not cut to max_wal_bytes per interval.
    if (checkpoint_hook_ && wal_->bytes() >= checkpoint_wal_bytes_) {
      checkpoint_hook_();
    }
  }
  for (std::size_t r = 1; r < kRejectReasonCount; ++r) {
    CountRejected(source, static_cast<RejectReason>(r), result.rejected_by_reason[r]);
  }
  BatchResult applied;
  ApplyLocked(source, valid, false, &applied);
  if (!annex.empty()) annex_->Apply(annex, false);
  result.accepted = applied.accepted;
  return result;
}

PersistedState Pipeline::Capture() {
  windows_.Refresh();
  std::unique_lock lock(apply_mu_);
  PersistedState state;
  state.saved_at = NowSeconds();
  state.metrics = registry_.Collect();
  state.windows = windows_.Save();
  // Every record appended so far has been applied: appends happen under the shared lock.
  state.wal_seq = wal_ != nullptr ? wal_->last_seq() : wal_seq_;
  if (annex_ != nullptr) state.annex = annex_->Save();
  for (const auto& [name, section] : sections_) state.sections[name] = section->Save();
  std::lock_guard pos_lock(positions_mu_);
  for (const auto& [id, pos] : positions_) state.files.push_back(pos);
  return state;
}

Status Pipeline::Restore(const PersistedState& state) {
  std::unique_lock lock(apply_mu_);
  if (annex_ != nullptr && !state.annex.empty()) {
    if (auto loaded = annex_->Load(state.annex); !loaded.ok()) return loaded;
  }
  for (const auto& [name, section] : sections_) {
    auto saved = state.sections.find(name);
    if (saved == state.sections.end()) continue;  // a source new in this config starts empty
    if (auto loaded = section->Load(saved->second); !loaded.ok()) {
      return Error{"state section " + name + ": " + loaded.error()};
    }
  }
  for (const auto& [name, text] : state.sections) {
    bool used = false;
    for (const auto& s : sections_) used = used || s.first == name;
    if (!used) log::Info("state: section not used by this config, dropped", {{"section", name}});
  }
  const RestoreReport restored = registry_.Restore(state.metrics);
  const TaskWindows::LoadReport windows = windows_.Load(state.windows);
  LogRestoreIssues(restored, windows);
  wal_seq_ = state.wal_seq;
  std::lock_guard pos_lock(positions_mu_);
  positions_.clear();
  for (const auto& pos : state.files) positions_[{pos.dev, pos.ino}] = pos;
  return OkStatus();
}

Result<std::size_t> Pipeline::ReplayWal() {
  if (wal_ == nullptr) return std::size_t{0};
  std::size_t records = 0;
  state_detail::WalBatch batch;
  std::string corrupt;  // the first record that does not decode: replay stops there
  auto status = wal_->Replay(wal_seq_, [&](std::uint64_t seq, std::string_view payload) {
    if (!corrupt.empty()) return;
    if (auto st = state_detail::DecodeWalBatch(payload, &batch); !st.ok()) {
      corrupt = "write-ahead log record " + std::to_string(seq) + " does not decode (" + st.error() +
                "); it passed its checksum, so it was written by an incompatible version or edited";
      return;
    }
    const Source source = batch.source == state_detail::BatchSource::kOtlp ? Source::kOtlp : Source::kPush;
    BatchResult ignored;
    std::shared_lock lock(apply_mu_);
    ApplyLocked(source, batch.events, false, &ignored);
    if (annex_ != nullptr && !batch.annex.empty()) annex_->Apply(batch.annex, true);
    ++records;
  });
  if (status.ok() && !corrupt.empty()) return Error{corrupt};
  if (!status.ok()) return Error{status.error()};
  return records;
}

std::vector<FilePosition> Pipeline::Positions() const {
  std::lock_guard pos_lock(positions_mu_);
  std::vector<FilePosition> out;
  for (const auto& [id, pos] : positions_) out.push_back(pos);
  return out;
}

}  // namespace agx
