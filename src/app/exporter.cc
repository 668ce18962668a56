#include "app/exporter.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "app/auth.h"
#include "app/registry_options.h"
#include "app/version.h"
#include "common/log.h"
#include "config/web_config.h"
#include "http/server.h"
#include "ingest/pipeline.h"
#include "otlp/otlp_ingest.h"
#include "registry/registry.h"
#include "registry/sliding_window.h"
#include "state/state_store.h"
#include "state/wal.h"
#include "tail/file_tailer.h"
#include "transcript/transcript_ingest.h"

namespace agx {
namespace {

Result<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"cannot read bearer token file " + path};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  if (token.empty()) return Error{"bearer token file " + path + " is empty"};
  return token;
}

// Credentials sent over plain HTTP are readable on the network: say so unless the listener
// is on loopback (a TLS proxy on the same host).
bool IsLoopback(const std::string& listen_address) {
  return listen_address.rfind("127.", 0) == 0 || listen_address.rfind("localhost:", 0) == 0 ||
         listen_address.rfind("[::1]:", 0) == 0;
}

int TlsVersion(const std::string& v) {
  if (v == "TLS10") return 0x0301;
  if (v == "TLS11") return 0x0302;
  if (v == "TLS13") return 0x0304;
  if (v == "TLS12") return 0x0303;
  return 0;  // "": the newest
}

TlsOptions ToTlsOptions(const TlsServerConfig& c) {
  TlsOptions o;
  o.cert_file = c.cert_file;
  o.key_file = c.key_file;
  o.client_ca_file = c.client_ca_file;
  using A = TlsOptions::ClientAuth;
  o.client_auth = c.client_auth_type == "RequestClientCert"           ? A::kRequest
                  : c.client_auth_type == "RequireAnyClientCert"       ? A::kRequireAny
                  : c.client_auth_type == "VerifyClientCertIfGiven"    ? A::kVerifyIfGiven
                  : c.client_auth_type == "RequireAndVerifyClientCert" ? A::kRequireAndVerify
                                                                       : A::kNone;
  o.min_version = TlsVersion(c.min_version);
  o.max_version = TlsVersion(c.max_version);
  return o;
}

// Adds `headers` (http_server_config.headers) to every response of `routes`, including the
// server's own 413/429 replies.
void AddHeaders(const std::vector<std::pair<std::string, std::string>>& headers,
                std::vector<Route>* routes) {
  if (headers.empty()) return;
  for (Route& r : *routes) {
    r.handler = [headers, inner = std::move(r.handler)](const HttpRequest& req) {
      HttpResponse resp = inner(req);
      resp.headers.insert(resp.headers.end(), headers.begin(), headers.end());
      return resp;
    };
    if (r.on_error) {
      r.on_error = [headers, inner = std::move(r.on_error)](const HttpRequest& req, int status,
                                                            std::string_view message) {
        HttpResponse resp = inner(req, status, message);
        resp.headers.insert(resp.headers.end(), headers.begin(), headers.end());
        return resp;
      };
    }
  }
}

}  // namespace

Status Exporter::SetUpAccessControl() {
  std::map<std::string, std::string> users;
  if (!config_.web.web_config_file.empty()) {
    auto web = LoadWebConfig(config_.web.web_config_file);
    if (!web.ok()) return Error{web.error()};
    users = std::move(web->basic_auth_users);
    extra_headers_ = std::move(web->headers);
    if (web->tls.enabled()) tls_ = ToTlsOptions(web->tls);
  }
  std::string token;
  if (!config_.web.bearer_token_file.empty()) {
    auto read = ReadToken(config_.web.bearer_token_file);
    if (!read.ok()) return Error{read.error()};
    token = std::move(*read);
  }
  const std::size_t user_count = users.size();
  auto auth = Authenticator::Create(std::move(users), std::move(token));
  if (!auth.ok()) return Error{config_.web.web_config_file + ": " + auth.error()};
  auth_ = std::move(auth.value());
  if (auth_->users_configured() || auth_->bearer_configured()) {
    log::Info("access control", {{"basic_auth_users", std::to_string(user_count)},
                                 {"bearer_token", auth_->bearer_configured() ? "yes" : "no"}});
    if (!tls_ && (!IsLoopback(config_.web.listen_address) ||
                  (!config_.otlp.listen_address.empty() && !IsLoopback(config_.otlp.listen_address)))) {
      log::Warn("credentials are sent over plain HTTP: set tls_server_config in "
                "--web.config.file, or bind to 127.0.0.1 behind a TLS proxy, see docs/security.md");
    }
  }
  return OkStatus();
}

// Every start with a state directory writes a snapshot before the first record is logged,
// so a log that has numbered records while state.json is missing means the snapshot with
// the counts of everything before them was deleted or lost: starting would silently count
// from the log's remaining records only. Refused unless the operator accepts the loss.
Status Exporter::CheckSnapshotPresent(bool have_snapshot) const {
  if (have_snapshot || wal_->last_seq() == 0) return OkStatus();
  const std::string state_json = config_.state.dir + "/state.json";
  const std::string problem =
      state_json + " is missing, but the write-ahead log in " + config_.state.dir +
      " has logged records up to " + std::to_string(wal_->last_seq()) +
      ": the snapshot of everything counted before the log's remaining records was deleted "
      "or lost, and starting would restart those counters from the log alone";
  if (!config_.state.allow_missing_snapshot) {
    return Error{problem + ". Restore state.json (e.g. from a backup), or start once with "
                           "--state.allow-missing-snapshot to accept the loss"};
  }
  log::Error("starting without the snapshot (--state.allow-missing-snapshot)",
             {{"problem", problem}});
  return OkStatus();
}

Exporter::Exporter(Config config) : config_(std::move(config)) {}

Exporter::~Exporter() { Stop(); }

Status Exporter::Start() {
  if (auto s = SetUpAccessControl(); !s.ok()) return s;
  registry_ = std::make_unique<Registry>(MakeRegistryOptions(config_));
  windows_ = std::make_unique<TaskWindows>(*registry_, config_.registry.window);
  registry_->Gauge(MetricId::kBuildInfo, {AGX_VERSION, AGX_REVISION}).Set(1);
  if (tls_) {  // exported at 0 from the start, so that rate() works at once
    for (const char* r : {"accepted", "handshake_failed", "refused"}) {
      registry_->Counter(MetricId::kTlsConnections, {r});
    }
  }

  std::optional<PersistedState> saved;
  if (!config_.state.dir.empty()) {
    store_ = std::make_unique<StateStore>(config_.state.dir);
    if (auto s = store_->Init(); !s.ok()) return Error{s.error()};
    auto loaded = store_->Load();
    if (!loaded.ok()) return Error{loaded.error()};
    saved = std::move(*loaded);
    auto wal = Wal::Open(config_.state.dir);
    if (!wal.ok()) return Error{wal.error()};
    wal_ = std::move(wal.value());
    // A log numbered below the saved sequence was deleted or replaced by hand: replaying it
    // would skip records, so refuse rather than count wrong.
    if (saved && wal_->last_seq() < saved->wal_seq) {
      return Error{"write-ahead log in " + config_.state.dir + " ends at record " +
                   std::to_string(wal_->last_seq()) + " but the saved state has applied " +
                   std::to_string(saved->wal_seq) + "; it was modified outside agent_exporter"};
    }
    if (auto s = CheckSnapshotPresent(saved.has_value()); !s.ok()) return s;
  }
  pipeline_ = std::make_unique<Pipeline>(*registry_, *windows_, config_, wal_.get());
  if (wal_) pipeline_->SetCheckpointHook([this] { RequestCheckpoint(); });
  // Every reason exported at 0 from the start, so that rate() and alerts work at once.
  for (const char* r : {"interval", "wal_size", "start", "shutdown"}) {
    registry_->Counter(MetricId::kSnapshotTriggers, {r});
  }
  const auto start_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  // Before Restore: the OTLP ingest's span memory is restored with the metrics.
  otlp_ = std::make_unique<otlp::OtlpIngest>(config_, *registry_, *pipeline_, start_ns);
  AddTranscriptIngests();
  if (saved) {
    if (auto restored = pipeline_->Restore(*saved); !restored.ok()) {
      return Error{"state in " + config_.state.dir + ": " + restored.error()};
    }
    log::Info("state restored", {{"dir", config_.state.dir},
                                 {"files", std::to_string(saved->files.size())},
                                 {"wal_seq", std::to_string(saved->wal_seq)}});
  }
  auto replayed = pipeline_->ReplayWal();
  if (!replayed.ok()) return Error{replayed.error()};
  if (*replayed > 0) log::Info("write-ahead log replayed", {{"records", std::to_string(*replayed)}});
  // A new state directory gets its first snapshot before anything is logged, so that from
  // now on a log without state.json always means a lost snapshot (CheckSnapshotPresent).
  // After an accepted loss the same makes the next start a normal one.
  if (store_ && !saved) {
    if (auto s = Snapshot("start"); !s.ok()) {
      log::Error("first snapshot failed", {{"err", s.error()}});
    }
  }

  HttpServerOptions http_options;
  http_options.listen_address = config_.web.listen_address;
  http_options.threads = config_.web.threads;
  http_options.request_timeout_ms = static_cast<int>(config_.web.request_timeout.count());
  http_options.idle_timeout_ms = static_cast<int>(config_.web.idle_timeout.count());
  // A connection waiting for its request head costs the front end a socket and its bytes,
  // not a worker thread, so many may wait; relayed ones use three descriptors each.
  http_options.max_connections = std::max(1024, 16 * config_.web.threads);
  http_options.tls = tls_;
  std::vector<Route> routes;
  routes.push_back({config_.web.telemetry_path, {"GET", "HEAD"},
                    [this](const HttpRequest& r) { return HandleMetrics(r); }, 0, nullptr, nullptr});
  // At least one worker thread always stays free for /metrics and the health checks.
  ingest_admission_ = std::make_shared<Admission>(
      std::max(1, std::min(config_.web.max_concurrent_ingest, config_.web.threads - 1)));
  routes.push_back({"/v1/events", {"POST"}, [this](const HttpRequest& r) { return HandlePush(r); },
                    config_.web.max_body_bytes, ingest_admission_,
                    [this](const HttpRequest& r, int status, std::string_view message) {
                      return PushError(r, status, message);
                    }});
  routes.push_back({"/healthz", {"GET", "HEAD"}, [](const HttpRequest&) {
                      return HttpResponse{200, "text/plain; charset=utf-8", {}, "OK\n"};
                    }, 0, nullptr, nullptr});
  routes.push_back({"/-/ready", {"GET", "HEAD"}, [this](const HttpRequest&) {
                      if (stopping_.load()) {
                        return HttpResponse{503, "text/plain; charset=utf-8", {}, "Stopping\n"};
                      }
                      return HttpResponse{200, "text/plain; charset=utf-8", {}, "Ready\n"};
                    }, 0, nullptr, nullptr});
  routes.push_back({"/", {"GET", "HEAD"}, [this](const HttpRequest& r) { return HandleLanding(r); }, 0, nullptr, nullptr});
  auto otlp_routes = [this] {
    std::vector<Route> r;
    for (const auto& entry : {std::pair{"/v1/traces", otlp::Signal::kTraces},
                              std::pair{"/v1/logs", otlp::Signal::kLogs},
                              std::pair{"/v1/metrics", otlp::Signal::kMetrics}}) {
      const char* path = entry.first;
      const otlp::Signal signal = entry.second;  // a variable: lambdas may capture it
      r.push_back({path, {"POST"},
                   [this, signal](const HttpRequest& req) { return HandleOtlp(signal, req); },
                   config_.web.max_body_bytes, ingest_admission_,
                   [this, signal](const HttpRequest& req, int status, std::string_view message) {
                     return OtlpError(signal, req, status, message);
                   }});
    }
    return r;
  };
  for (Route& r : otlp_routes()) routes.push_back(std::move(r));
  AddHeaders(extra_headers_, &routes);
  auto http = HttpServer::Start(http_options, std::move(routes));
  if (!http.ok()) return Error{http.error()};
  http_ = std::move(http.value());
  if (!config_.otlp.listen_address.empty()) {
    HttpServerOptions otlp_options = http_options;
    otlp_options.listen_address = config_.otlp.listen_address;
    std::vector<Route> only_otlp = otlp_routes();
    AddHeaders(extra_headers_, &only_otlp);
    auto otlp_http = HttpServer::Start(otlp_options, std::move(only_otlp));
    if (!otlp_http.ok()) return Error{"otlp.listen_address: " + otlp_http.error()};
    otlp_http_ = std::move(otlp_http.value());
  }

  TailOptions tail_options;
  tail_options.patterns = config_.ingest.files;
  tail_options.poll_interval = config_.ingest.poll_interval;
  tail_options.max_line_bytes = config_.ingest.max_line_bytes;
  tail_options.start_at_end = config_.ingest.start_at_end;
  tail_options.max_open_files = config_.ingest.max_open_files;
  tail_options.scan_interval = config_.ingest.scan_interval;
  StartTail(tail_options, pipeline_.get());
  TailOptions otlp_tail_options = tail_options;
  otlp_tail_options.patterns = config_.otlp.files;
  StartTail(otlp_tail_options, otlp_->file_sink());
  StartContainerLogTails(tail_options, config_.ingest.container_logs, pipeline_.get());
  StartContainerLogTails(tail_options, config_.otlp.container_logs, otlp_->file_sink());
  StartTranscriptTails(tail_options);
  if (store_) snapshot_thread_ = std::thread([this] { SnapshotLoop(); });
  return OkStatus();
}

void Exporter::StartTail(TailOptions options, TailSink* sink) {
  if (options.patterns.empty()) return;
  std::lock_guard lock(scrape_mu_);  // HTTP is up: scrapes read tails_
  Tail& t = tails_.emplace_back();
  t.tailer = std::make_unique<FileTailer>(std::move(options), sink);
  t.tailer->Restore(pipeline_->Positions());
  FileTailer* tailer = t.tailer.get();
  t.thread = std::thread([this, tailer] { tailer->Run(stop_tail_); });
}

void Exporter::StartContainerLogTails(const TailOptions& base, const ContainerLogFiles& files,
                                      TailSink* sink) {
  for (const auto& [format, patterns] : {std::pair{ContainerLogFormat::kCri, &files.cri},
                                         std::pair{ContainerLogFormat::kDockerJson,
                                                   &files.docker_json}}) {
    TailOptions options = base;
    options.patterns = *patterns;
    options.container_log = format;
    StartTail(std::move(options), sink);
  }
}

void Exporter::AddTranscriptIngests() {
  const TranscriptsConfig& c = config_.ingest.transcripts;
  for (const auto& [format, source] : {std::pair{transcript::Format::kClaudeCode, &c.claude_code},
                                       std::pair{transcript::Format::kCodex, &c.codex}}) {
    if (source->files.empty()) continue;
    transcript::MapperLimits limits;
    limits.agent_id = source->agent_id;
    limits.max_messages = c.max_messages;
    limits.max_pending_tools = c.max_pending_tool_calls;
    limits.max_files = c.max_sessions;
    limits.label_value_max_bytes = config_.registry.label_value_max_bytes;
    limits.pricing = config_.pricing;
    transcripts_.push_back(std::make_unique<transcript::TranscriptIngest>(
        *pipeline_, *registry_, format, transcript::MakeMapper(format, std::move(limits))));
  }
}

void Exporter::StartTranscriptTails(const TailOptions& base) {
  const TranscriptsConfig& c = config_.ingest.transcripts;
  for (auto& ingest : transcripts_) {
    TailOptions options = base;
    options.patterns = ingest->format() == transcript::Format::kClaudeCode ? c.claude_code.files
                                                                           : c.codex.files;
    options.max_line_bytes = c.max_line_bytes;
    options.start_at_end = c.start_at_end;
    StartTail(std::move(options), ingest.get());
  }
}

void Exporter::Stop() {
  if (stopping_.exchange(true)) return;
  otlp_http_.reset();
  http_.reset();  // no new pushes or scrapes; waits for in-flight handlers
  stop_tail_.store(true);
  for (Tail& t : tails_) {
    if (t.thread.joinable()) t.thread.join();
  }
  // A last drain of what was written before the signal.
  for (Tail& t : tails_) t.tailer->Poll();
  {
    std::lock_guard lock(wake_mu_);
    stopped_ = true;
  }
  snapshot_cv_.notify_all();
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
  if (store_) {
    if (auto s = Snapshot("shutdown"); !s.ok()) {
      log::Error("final snapshot failed", {{"err", s.error()}});
    }
  }
}

Status Exporter::Snapshot(std::string_view reason) {
  if (!store_ || !pipeline_) return OkStatus();
  std::lock_guard lock(snapshot_mu_);
  registry_->Counter(MetricId::kSnapshotTriggers, {reason}).Inc();
  // The tailers' skipped-line counts reach the registry at scrapes; bring them in now too,
  // so that a snapshot saves them with the positions (else a kill -9 before the next scrape
  // would lose them while the lines are not read again).
  {
    std::lock_guard mirror(scrape_mu_);
    for (Tail& t : tails_) MirrorTailStats(&t);
  }
  // Capture holds the pipeline's exclusive lock (pushes wait); the slower part, writing
  // and fsyncing state.json, runs after it is released.
  PersistedState state = pipeline_->Capture();
  Status saved = store_->Save(state);
  registry_->Counter(MetricId::kSnapshots, {saved.ok() ? "success" : "failure"}).Inc();
  if (!saved.ok()) return saved;
  registry_->Gauge(MetricId::kLastSnapshot, {}).Set(state.saved_at);
  if (wal_) {
    if (auto c = wal_->Compact(state.wal_seq); !c.ok()) {
      log::Warn("write-ahead log compaction failed", {{"err", c.error()}});
    }
    // Only after a success: a failing snapshot (disk full) is retried by the interval, not
    // by every push.
    checkpoint_requested_.store(false);
  }
  return OkStatus();
}

void Exporter::RequestCheckpoint() {
  if (checkpoint_requested_.exchange(true)) return;
  {
    std::lock_guard lock(wake_mu_);
    checkpoint_due_ = true;
  }
  snapshot_cv_.notify_one();
}

void Exporter::SnapshotLoop() {
  // The interval counts from the last snapshot of either kind: a checkpoint by size resets it.
  while (true) {
    bool by_size = false;
    {
      std::unique_lock lock(wake_mu_);
      snapshot_cv_.wait_for(lock, config_.state.snapshot_interval,
                            [this] { return stopped_ || checkpoint_due_; });
      if (stopped_) return;
      by_size = checkpoint_due_;
      checkpoint_due_ = false;
    }
    if (auto s = Snapshot(by_size ? "wal_size" : "interval"); !s.ok()) {
      log::Error("snapshot failed", {{"err", s.error()}});
    }
  }
}

int Exporter::port() const { return http_ ? http_->port() : 0; }

int Exporter::otlp_port() const { return otlp_http_ ? otlp_http_->port() : 0; }


}  // namespace agx
