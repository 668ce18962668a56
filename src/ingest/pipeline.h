#pragma once
// Pipeline: the one place where lines become metric updates, for every source. It parses,
// counts applied and rejected lines, applies events through the EventMapper, and keeps what
// exactly-once needs: the applied position of every tailed file and the last WAL record
// applied.
//
// Consistency: applying a batch and recording its position (or WAL sequence) happen under a
// shared lock; Capture() takes the lock exclusively, so a captured state never holds a
// batch's effects without its position, or the reverse. Batches from several threads
// (the tailer, HTTP workers) apply concurrently.
// Thread-safe. Each thread gets its own EventParser (thread_local), so the warm path
// allocates nothing.
#include <cstdint>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "ingest/batch_annex.h"
#include "ingest/event_mapper.h"
#include "ingest/reject_reason.h"
#include "ingest/state_section.h"
#include "state/state_store.h"
#include "tail/file_tailer.h"

namespace agx {

class Registry;
class TaskWindows;
class Wal;
class CounterHandle;

/// Where lines come from: tailed files, POST /v1/events, OTLP/HTTP (mapped to native lines by
/// src/otlp), or tailed coding-agent transcripts (mapped by src/transcript). The `source`
/// label of the self metrics.
enum class Source : std::uint8_t { kFile, kPush, kOtlp, kTranscript, kCount };
std::string_view SourceName(Source s);

struct LineError {
  std::size_t line = 0;  ///< 1-based line (or array element) number
  RejectReason reason = RejectReason::kNone;
  std::string message;
};

struct BatchResult {
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  std::vector<LineError> errors;  ///< at most kMaxReportedErrors
  std::size_t rejected_by_reason[kRejectReasonCount] = {};
  static constexpr std::size_t kMaxReportedErrors = 100;
};

class Pipeline final : public TailSink {
 public:
  /// `wal` may be null (no state dir): pushes are then applied without durability.
  Pipeline(Registry& registry, TaskWindows& windows, const Config& config, Wal* wal);
  ~Pipeline() override;

  // TailSink
  void OnLines(const FilePosition& after, std::span<const std::string_view> lines,
               std::size_t oversized) override;
  void OnFileClosed(const FilePosition& last) override;

  /// Validates every line, appends the valid ones to the WAL (fsync) and applies them.
  /// Fails only when the WAL cannot be written: then nothing was applied or acknowledged.
  /// `source` is kPush or kOtlp; it is logged with the batch so a replay counts it alike.
  /// `annex` (no '\n'), for the annex set by SetAnnex, is logged and applied with the lines.
  Result<BatchResult> Push(std::span<const std::string_view> lines, Source source = Source::kPush,
                           std::string_view annex = {});

  /// OnLines with annex data for the annex (tailed OTLP files).
  void OnLinesWithAnnex(const FilePosition& after, std::span<const std::string_view> lines,
                        std::size_t oversized, std::string_view annex);

  /// The annex whose data batches may carry (batch_annex.h). Set before Restore and any
  /// ingest; not owned.
  void SetAnnex(BatchAnnex* annex) { annex_ = annex; }

  /// Adds a state section (state_section.h) saved as `name` in the snapshot. Add before
  /// Restore and any ingest; not owned.
  void AddStateSection(std::string name, StateSection* section);

  /// The shared apply lock, for a source that maps lines and changes its state section
  /// while holding it, then applies them with OnLinesLocked: a snapshot then never holds
  /// the section's changes without the lines' effects and position, or the reverse.
  std::shared_lock<std::shared_mutex> ApplyLock() { return std::shared_lock(apply_mu_); }
  /// OnLines for `source`, with ApplyLock() held by the caller.
  void OnLinesLocked(Source source, const FilePosition& after,
                     std::span<const std::string_view> lines, std::size_t oversized);
  /// OnFileClosed with ApplyLock() held by the caller.
  void OnFileClosedLocked(const FilePosition& last);

  /// Called (on the pushing thread, after its append) when the write-ahead log has passed
  /// state.checkpoint_wal_bytes; it must only wake the snapshot thread, not snapshot. It
  /// is called on every such append until a snapshot compacts the log. Set before any
  /// ingest.
  void SetCheckpointHook(std::function<void()> hook) { checkpoint_hook_ = std::move(hook); }

  /// Counts `n` items rejected before they became lines (e.g. invalid OTLP items).
  void CountRejected(Source source, RejectReason reason, std::size_t n);

  /// Applies lines without any position bookkeeping (replay command, tests).
  /// `errors` collects details when `want_errors`.
  BatchResult Apply(Source source, std::span<const std::string_view> lines,
                    bool want_errors = false);

  /// A consistent copy of everything the state store persists.
  PersistedState Capture();

  /// Restores a persisted state into the (fresh) registry, windows and annex, and remembers
  /// the file positions and WAL sequence. Call before any ingest. Fails only when the annex
  /// cannot load its state.
  Status Restore(const PersistedState& state);

  /// Applies WAL records after the restored sequence (after a crash). \return records.
  Result<std::size_t> ReplayWal();

  std::vector<FilePosition> Positions() const;

 private:
  struct Counts;
  void ApplyLocked(Source source, std::span<const std::string_view> lines, bool want_errors,
                   BatchResult* out);

  Registry& registry_;
  TaskWindows& windows_;
  EventMapper mapper_;
  Wal* wal_;
  BatchAnnex* annex_ = nullptr;
  std::vector<std::pair<std::string, StateSection*>> sections_;  // set before ingest
  std::size_t max_line_bytes_;
  int max_json_depth_;
  std::size_t max_wal_bytes_;
  std::size_t checkpoint_wal_bytes_;  // >= max_wal_bytes_: never reached
  std::function<void()> checkpoint_hook_;
  CounterHandle* wal_io_errors_ = nullptr;
  CounterHandle* wal_size_limit_ = nullptr;
  std::atomic<bool> wal_failing_{false};  // for logging the first failure and the recovery

  CounterHandle* events_[static_cast<std::size_t>(Source::kCount)][kEventTypeCount] = {};
  CounterHandle* rejected_[static_cast<std::size_t>(Source::kCount)][kRejectReasonCount] = {};

  std::shared_mutex apply_mu_;  // shared: apply a batch; exclusive: Capture
  mutable std::mutex positions_mu_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, FilePosition> positions_;  // by dev, ino
  std::uint64_t wal_seq_ = 0;  // guarded by apply_mu_ (written under exclusive or by Restore)
};

}  // namespace agx
