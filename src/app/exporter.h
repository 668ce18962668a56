#pragma once
// Exporter: the running daemon, wired from a Config. Owns the registry, the sliding
// windows, the state store and WAL, the pipeline, the OTLP and transcript ingests, the file
// tailers and the HTTP server, and starts and stops them in order:
//   start: access control (--web.config.file, bearer token) -> ingests whose state is saved
//          with the metrics (OTLP span memory, transcript mappers) -> restore state -> replay
//          WAL (a new state dir: its first snapshot) -> HTTP (push, OTLP, /metrics; and the
//          optional OTLP-only listener) -> tail threads (native, OTLP JSON and transcript
//          files) -> snapshots
//   stop:  HTTP (no new pushes) -> tails (a last drain) -> final snapshot
// Thread-safe: Start/Stop from one thread; the parts it owns are thread-safe themselves.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "http/server.h"
#include "http/tls_options.h"
#include "tail/file_tailer.h"
#include "registry/snapshot.h"

namespace agx {

class Registry;
class TaskWindows;
class Pipeline;
class HttpServer;
class Admission;
class Authenticator;
enum class AuthOutcome : std::uint8_t;
class StateStore;
class Wal;
struct HttpResponse;
struct HttpRequest;
namespace otlp {
class OtlpIngest;
enum class Signal : std::uint8_t;
}  // namespace otlp
namespace transcript {
class TranscriptIngest;
}  // namespace transcript

class Exporter {
 public:
  explicit Exporter(Config config);
  ~Exporter();

  /// Restores state, starts serving and tailing. Fails with a clear message.
  Status Start();
  /// Drains and snapshots; idempotent.
  void Stop();
  /// Writes a snapshot now (also done every state.snapshot_interval, and when the
  /// write-ahead log passes state.checkpoint_wal_bytes), and compacts the log. `reason`
  /// labels agent_exporter_state_snapshot_triggers_total.
  Status Snapshot(std::string_view reason = "interval");

  int port() const;       ///< bound HTTP port
  int otlp_port() const;  ///< bound port of the OTLP-only listener, 0 when none
  Registry& registry() { return *registry_; }

  // HTTP-agnostic handlers (routes.cc), public for tests.
  HttpResponse HandleMetrics(const HttpRequest& req);
  HttpResponse HandlePush(const HttpRequest& req);
  HttpResponse HandleLanding(const HttpRequest& req);
  HttpResponse HandleOtlp(otlp::Signal signal, const HttpRequest& req);  // otlp_routes.cc

 private:
  void SnapshotLoop();
  /// Loads --web.config.file and the bearer token into auth_ and extra_headers_.
  Status SetUpAccessControl();
  /// At start, after the state is loaded and the WAL opened: refuses a log that has
  /// records when there is no state.json, unless state.allow_missing_snapshot.
  Status CheckSnapshotPresent(bool have_snapshot) const;
  /// The pipeline's checkpoint hook: wakes the snapshot thread (any pushing thread).
  void RequestCheckpoint();
  /// Push and OTLP: basic auth or the bearer token, when either is configured (auth.h).
  /// Counts refusals in agent_exporter_auth_rejected_total{reason}.
  AuthOutcome AuthorizeIngest(const HttpRequest& req);
  /// /metrics and /: basic auth when users are configured. On refusal fills `*denied` with
  /// the 401 (429 when every bcrypt slot was busy), counts it and logs at debug level.
  bool AuthorizedScrape(const HttpRequest& req, HttpResponse* denied);
  /// The WWW-Authenticate challenges for a 401 on a scrape or ingest path.
  void AddChallenges(bool ingest, HttpResponse* r) const;
  void MirrorTlsStats();
  void MirrorHttpStats();
  /// One tailed source: its tailer, thread, and the tailer's counts already mirrored into
  /// agent_exporter_tail_rotations_total (guarded by scrape_mu_).
  struct Tail {
    std::unique_ptr<FileTailer> tailer;
    std::thread thread;
    std::uint64_t rotations_seen = 0;
    std::uint64_t truncations_seen = 0;
    std::uint64_t not_json_seen = 0;  // container logs: agent_exporter_tail_lines_skipped_total
    std::uint64_t bad_records_seen = 0;
    std::uint64_t unterminated_seen = 0;
  };
  /// Starts tailing `patterns` into `sink` (nothing when there are none).
  void StartTail(TailOptions options, TailSink* sink);
  /// One tailer per container log wrapper with files (ingest.files `container_log`).
  void StartContainerLogTails(const TailOptions& base, const ContainerLogFiles& files,
                              TailSink* sink);
  void MirrorTailStats(Tail* tail);
  /// Creates the ingest of each configured transcript format (before Restore: their state
  /// sections are restored with the metrics); StartTranscriptTails starts their tailers.
  void AddTranscriptIngests();
  void StartTranscriptTails(const TailOptions& base);
  /// The reply to an error the HTTP server finds before the handler runs (413, 429).
  HttpResponse PushError(const HttpRequest& req, int status, std::string_view message);
  HttpResponse OtlpError(otlp::Signal signal, const HttpRequest& req, int status,
                         std::string_view message);

  Config config_;
  std::unique_ptr<Authenticator> auth_;  // null until Start: everything open
  std::optional<TlsOptions> tls_;        // tls_server_config of --web.config.file
  /// http_server_config.headers of --web.config.file, added to every route's responses.
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<TaskWindows> windows_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<otlp::OtlpIngest> otlp_;
  /// One per configured coding-agent format (ingest.transcripts); before tails_, which
  /// feed them, so the tailer threads are gone before these are destroyed.
  std::vector<std::unique_ptr<transcript::TranscriptIngest>> transcripts_;
  std::vector<Tail> tails_;  // native, OTLP JSON, then transcript files; set in Start
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<HttpServer> otlp_http_;  // otlp.listen_address, when set
  std::shared_ptr<Admission> ingest_admission_;  // web.max_concurrent_ingest, all listeners

  std::atomic<bool> stop_tail_{false};
  std::atomic<bool> stopping_{false};
  std::thread snapshot_thread_;
  std::mutex scrape_mu_;  // guards the tails' *_seen counters and those below (scrapes)
  std::mutex snapshot_mu_;  // serializes snapshots (held while one is written)
  // Wakes the snapshot thread. A separate mutex from snapshot_mu_, held only briefly, so
  // that a push asking for a checkpoint never waits for a snapshot being written.
  std::mutex wake_mu_;
  std::condition_variable snapshot_cv_;
  bool stopped_ = false;          // guarded by wake_mu_
  bool checkpoint_due_ = false;   // guarded by wake_mu_: the log passed checkpoint_wal_bytes
  // Set by the first push past checkpoint_wal_bytes, cleared once a snapshot has compacted
  // the log: later pushes then do not touch wake_mu_ (one atomic exchange each).
  std::atomic<bool> checkpoint_requested_{false};
  TlsStats tls_seen_;  // guarded by scrape_mu_
  HttpStats http_seen_;  // guarded by scrape_mu_
  // The last scrape's snapshot, refilled in place by the next one (Registry::CollectInto):
  // a warm scrape then allocates nothing per series. A scrape that finds it in use by a
  // concurrent one builds its own.
  std::mutex scrape_snapshot_mu_;
  agx::Snapshot scrape_snapshot_;  // guarded by scrape_snapshot_mu_
};

}  // namespace agx
