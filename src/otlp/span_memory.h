#pragma once
// SpanMemory: what agent_exporter remembers of spans it has seen, so that nested spans of one
// operation are counted once across export requests and restarts (docs/otlp.md, "Nested
// spans"). Two instrumentations of one LLM request (a wrapper such as Traceloop around the
// Anthropic SDK's own span) each emit an LLM span, one the parent of the other; spans end
// child first, so the inner one usually arrives first, possibly in an earlier request.
//
// Per span id it keeps: the event its span was counted as (and its parent), and which event
// kinds were counted below it (marks propagated up as spans arrive). The mapper reads it and
// reserves its updates while it maps a request (pending); they become committed when the
// request's lines are applied, in the same WAL record and under the same lock (so a snapshot
// holds them exactly when it holds the lines), or are rolled back when the request fails.
// Only committed entries are saved.
//
// Bounded: at most `capacity` entries, the oldest inserted forgotten first.
// Thread-safe: every method locks; Lock() lets the mapper make its reads and reservations
// for one request atomically.
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace agx::otlp {

/// Bits of the event kinds a span was counted as or has below it.
enum SpanMark : std::uint8_t { kMarkLlm = 1, kMarkTool = 2, kMarkRun = 4 };

/// Twin spans (span_rule.h, twin_group): a counted LLM span waits under its twin key for the
/// same call's span from another instrumentation scope, which takes it and is a duplicate.
enum TwinOp : std::uint8_t { kTwinNone = 0, kTwinAdd = 1, kTwinTake = 2 };

/// One change to the memory: span `id` (with `parent`, 0 when unknown) gets `counted` and
/// `below` marks. `agent` is a hash of the agent id of a counted run (runs nest as one
/// invocation only within one agent). With `twin` set it is a twin change instead: `id` is
/// the twin key and `agent` the scope hash of the span added (kTwinAdd) or taken (kTwinTake).
struct SpanUpdate {
  std::uint64_t id = 0;
  std::uint64_t parent = 0;
  std::uint8_t counted = 0;
  std::uint8_t below = 0;
  std::uint32_t agent = 0;
  std::uint8_t twin = kTwinNone;
};

struct SpanInfo {
  std::uint64_t parent = 0;
  std::uint8_t counted = 0;
  std::uint8_t below = 0;
  std::uint32_t counted_agent = 0;  ///< agent hash when counted includes kMarkRun
  std::uint32_t below_agent = 0;    ///< agent hash of a run counted below
};

class SpanMemory {
 public:
  explicit SpanMemory(std::size_t capacity);

  /// Holds the memory for one request's reads and reservations.
  std::unique_lock<std::mutex> Lock() { return std::unique_lock(mu_); }

  /// What is known of `id` (committed and pending); all zero when nothing. Caller holds Lock.
  SpanInfo GetLocked(std::uint64_t id) const;
  /// A span of a scope other than `scope` waiting under twin key `key` (committed or pending,
  /// not yet taken): its scope hash, or 0 when none. Caller holds Lock.
  std::uint32_t FindTwinLocked(std::uint64_t key, std::uint32_t scope) const;
  /// Adds `updates` as pending. Caller holds Lock.
  void ReserveLocked(std::span<const SpanUpdate> updates);

  /// Pending updates become committed (the request was logged and applied).
  void Commit(std::span<const SpanUpdate> updates);
  /// Pending updates are dropped (the request failed and will be retried).
  void Rollback(std::span<const SpanUpdate> updates);
  /// Updates logged in the WAL, replayed after a restart: committed directly.
  void Replay(std::span<const SpanUpdate> updates);

  /// The committed entries, as text (Load reads it back). Empty when there are none.
  std::string Save() const;
  /// Replaces the memory with a saved one. Fails on malformed text (nothing changed then).
  Status Load(std::string_view text);

  std::size_t size() const;

  /// Bytes of one encoded update: id, parent, flag bits, agent.
  static constexpr std::size_t kEncodedUpdateBytes = 16 + 16 + 2 + 8;
  /// Encodes updates for a WAL record (no newline; fixed width) and decodes them.
  static void Encode(std::span<const SpanUpdate> updates, std::string* out);
  static bool Decode(std::string_view text, std::vector<SpanUpdate>* out);

 private:
  struct Entry {
    std::uint64_t parent = 0;
    std::uint8_t counted = 0;  // committed bits
    std::uint8_t below = 0;
    std::uint32_t counted_agent = 0;
    std::uint32_t below_agent = 0;
    std::uint8_t pending[6] = {};  // reservations per bit: counted llm, tool, run, below …
  };
  struct Twin {  // up to two scopes waiting under one key
    std::uint32_t scope[2] = {};
    std::uint16_t count[2] = {};       // committed
    std::uint8_t pending_add[2] = {};  // reserved adds and takes
    std::uint8_t pending_take[2] = {};
  };
  enum class Phase : std::uint8_t { kReserve, kCommit, kRollback, kReplay };
  Entry& Upsert(const SpanUpdate& u);
  void Remember(std::uint64_t id);  // insertion order and eviction, for both maps
  static void Merge(const SpanUpdate& u, Entry* e);
  void ApplyTwin(const SpanUpdate& u, Phase phase);

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, Entry> entries_;  // guarded by mu_
  std::unordered_map<std::uint64_t, Twin> twins_;     // guarded by mu_
  std::deque<std::uint64_t> order_;                   // insertion order, for eviction
};

/// A span id in hex (16 digits) as the memory's key; 0 for an absent or malformed id.
std::uint64_t SpanKey(std::string_view hex16);

}  // namespace agx::otlp
