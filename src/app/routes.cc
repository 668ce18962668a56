// The HTTP handlers of the Exporter. HTTP-agnostic: they see HttpRequest/HttpResponse
// values only (civetweb stays in src/http/).
#include <nlohmann/json.hpp>

#include <span>
#include <tuple>

#include "app/auth.h"
#include "app/exporter.h"
#include "app/request_body.h"
#include "app/version.h"
#include "common/log.h"
#include "exposition/exposition.h"
#include "exposition/process_metrics.h"
#include "http/server.h"
#include "ingest/pipeline.h"
#include "ingest/push_body.h"
#include "registry/registry.h"
#include "registry/sliding_window.h"
#include "state/wal.h"
#include "tail/file_tailer.h"

namespace agx {

namespace {

// The label value of each counter of a server's stats.
template <class Stats>
using StatsField = std::pair<const char*, std::uint64_t Stats::*>;

constexpr StatsField<TlsStats> kTlsResults[] = {{"accepted", &TlsStats::accepted},
                                                {"handshake_failed", &TlsStats::handshake_failures},
                                                {"refused", &TlsStats::refused}};
constexpr StatsField<HttpStats> kHttpRejectReasons[] = {
    {"bad_request", &HttpStats::bad_requests},
    {"other", &HttpStats::other_errors},
    {"no_request", &HttpStats::no_request},
    {"ambiguous_framing", &HttpStats::ambiguous_framing},
    {"too_many_connections", &HttpStats::too_many_connections}};

// Mirrors counts kept by the HTTP servers (plain totals since start) into `metric`: sums
// `stats` over both listeners and adds what each field gained since `*seen`. Every label is
// resolved each time, so all are exported (at 0) from the first scrape on.
template <class Stats>
void MirrorServerStats(Registry& registry, MetricId metric, std::span<const StatsField<Stats>> fields,
                       std::initializer_list<const HttpServer*> servers,
                       Stats (HttpServer::*stats)() const, Stats* seen) {
  Stats now;
  for (const HttpServer* server : servers) {
    if (server == nullptr) continue;
    const Stats one = (server->*stats)();
    for (const auto& [label, field] : fields) now.*field += one.*field;
  }
  for (const auto& [label, field] : fields) {
    CounterHandle& c = registry.Counter(metric, {label});
    if (now.*field > seen->*field) c.Inc(static_cast<double>(now.*field - seen->*field));
  }
  *seen = now;
}

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  // Messages may quote client bytes (a header, a JSON parse error's last token) that are
  // not UTF-8: replace them (U+FFFD) rather than throw from dump().
  return HttpResponse{status, "application/json", {},
                      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

HttpResponse JsonError(int status, std::string_view message) {
  return JsonResponse(status, {{"error", message}});
}

// Media types accepted on POST /v1/events (parameters such as charset are ignored).
bool IsEventsContentType(std::string_view ct) {
  const std::string lower = MediaType(ct);
  return lower == "application/x-ndjson" || lower == "application/jsonl" ||
         lower == "application/x-jsonlines" || lower == "application/json" ||
         lower == "text/plain";
}

}  // namespace

AuthOutcome Exporter::AuthorizeIngest(const HttpRequest& req) {
  if (auth_ == nullptr) return AuthOutcome::kAllowed;
  const AuthOutcome outcome = auth_->CheckIngest(req.Header("authorization"));
  if (outcome != AuthOutcome::kAllowed) {
    registry_->Counter(MetricId::kAuthRejected, {AuthOutcomeName(outcome)}).Inc();
  }
  return outcome;
}

bool Exporter::AuthorizedScrape(const HttpRequest& req, HttpResponse* denied) {
  if (auth_ == nullptr) return true;
  const AuthOutcome outcome = auth_->CheckScrape(req.Header("authorization"));
  if (outcome == AuthOutcome::kAllowed) return true;
  registry_->Counter(MetricId::kAuthRejected, {AuthOutcomeName(outcome)}).Inc();
  log::Debug("scrape refused by access control",
             {{"path", req.path},
              {"remote_addr", req.remote_addr},
              {"reason", std::string(AuthOutcomeName(outcome))}});
  if (outcome == AuthOutcome::kBusy) {
    *denied = HttpResponse{429, "text/plain; charset=utf-8", {{"Retry-After", "1"}},
                           std::string(kAuthBusyMessage) + "\n"};
    return false;
  }
  *denied = HttpResponse{401, "text/plain; charset=utf-8", {}, "Unauthorized\n"};
  AddChallenges(false, denied);
  return false;
}

void Exporter::AddChallenges(bool ingest, HttpResponse* r) const {
  if (auth_ == nullptr) return;
  for (auto& h : auth_->Challenges(ingest)) r->headers.push_back(std::move(h));
}

// The tailers count rotations themselves; mirror them into the registry's counters.
// Called from HandleMetrics with scrape_mu_ held.
void Exporter::MirrorTailStats(Tail* tail) {
  const TailStats st = tail->tailer->stats();
  if (st.rotations > tail->rotations_seen) {
    registry_->Counter(MetricId::kTailRotations, {"rename"})
        .Inc(static_cast<double>(st.rotations - tail->rotations_seen));
    tail->rotations_seen = st.rotations;
  }
  if (st.truncations > tail->truncations_seen) {
    registry_->Counter(MetricId::kTailRotations, {"truncate"})
        .Inc(static_cast<double>(st.truncations - tail->truncations_seen));
    tail->truncations_seen = st.truncations;
  }
  for (const auto& [count, seen, reason] :
       {std::tuple{st.skipped_not_json, &tail->not_json_seen, "not_json"},
        std::tuple{st.skipped_bad_records, &tail->bad_records_seen, "bad_container_log"},
        std::tuple{st.skipped_unterminated, &tail->unterminated_seen, "unterminated"}}) {
    if (count > *seen) {
      registry_->Counter(MetricId::kTailLinesSkipped, {reason})
          .Inc(static_cast<double>(count - *seen));
      *seen = count;
    }
  }
}

// The TLS front ends count handshakes themselves; mirror both listeners into the registry.
// Called under scrape_mu_.
void Exporter::MirrorTlsStats() {
  MirrorServerStats<TlsStats>(*registry_, MetricId::kTlsConnections, kTlsResults,
                    {http_.get(), otlp_http_.get()}, &HttpServer::tls_stats, &tls_seen_);
}

// Called from HandleMetrics with scrape_mu_ held.
void Exporter::MirrorHttpStats() {
  MirrorServerStats<HttpStats>(*registry_, MetricId::kHttpRejected, kHttpRejectReasons,
                    {http_.get(), otlp_http_.get()}, &HttpServer::http_stats, &http_seen_);
}

HttpResponse Exporter::HandleMetrics(const HttpRequest& req) {
  if (HttpResponse denied; !AuthorizedScrape(req, &denied)) return denied;
  windows_->Refresh();
  {
    std::lock_guard lock(scrape_mu_);
    for (Tail& t : tails_) MirrorTailStats(&t);
    if (tls_) MirrorTlsStats();
    MirrorHttpStats();
  }
  if (wal_) registry_->Gauge(MetricId::kWalBytes, {}).Set(static_cast<double>(wal_->bytes()));
  std::unique_lock kept(scrape_snapshot_mu_, std::try_to_lock);
  agx::Snapshot own;
  agx::Snapshot& snapshot = kept.owns_lock() ? scrape_snapshot_ : own;
  registry_->CollectInto(&snapshot);
  AppendProcessMetrics(&snapshot);
  ExpositionFormat format = Negotiate(req.Header("accept"));
  HttpResponse resp;
  resp.content_type = std::string(ContentType(format));
  WriteExposition(snapshot, format, &resp.body);
  return resp;
}

HttpResponse Exporter::PushError(const HttpRequest&, int status, std::string_view message) {
  registry_->Counter(MetricId::kPushRequests, {std::to_string(status)}).Inc();
  return JsonError(status, message);
}

HttpResponse Exporter::HandlePush(const HttpRequest& req) {
  auto respond = [this](HttpResponse r) {
    registry_->Counter(MetricId::kPushRequests, {std::to_string(r.status)}).Inc();
    return r;
  };
  if (const AuthOutcome a = AuthorizeIngest(req); a == AuthOutcome::kBusy) {
    HttpResponse r = JsonError(429, kAuthBusyMessage);
    r.headers.emplace_back("Retry-After", "1");
    return respond(std::move(r));
  } else if (a != AuthOutcome::kAllowed) {
    HttpResponse r = JsonError(401, "missing or invalid credentials");
    AddChallenges(true, &r);
    return respond(std::move(r));
  }
  if (!IsEventsContentType(req.Header("content-type"))) {
    return respond(JsonError(
        415, "unsupported content type; use application/x-ndjson or application/json"));
  }
  std::string decompressed;
  std::string_view raw;
  if (BodyError e = DecodeRequestBody(req, config_.web.max_decompressed_bytes, &decompressed, &raw);
      e.status != 0) {
    return respond(JsonError(e.status, e.message));
  }
  std::string storage;
  std::vector<std::string_view> lines;
  std::vector<std::size_t> line_numbers;
  const PushBodyFormat format = MediaType(req.Header("content-type")) == "application/json"
                                    ? PushBodyFormat::kJson
                                    : PushBodyFormat::kNdjson;
  bool too_many = false;
  if (auto s = SplitPushBody(raw, &storage, &lines, &line_numbers, format,
                             config_.ingest.max_events_per_push, &too_many);
      !s.ok()) {
    return respond(JsonError(too_many ? 413 : 400, s.error()));
  }
  if (lines.empty()) return respond(JsonError(400, "empty body: no events"));
  auto result = pipeline_->Push(lines);
  if (!result.ok()) {
    HttpResponse r = JsonError(503, result.error());
    r.headers.emplace_back("Retry-After", "1");
    return respond(std::move(r));
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : result->errors) {
    std::size_t line = line_numbers.empty() ? e.line : line_numbers[e.line - 1];
    errors.push_back({{"line", line}, {"reason", RejectReasonName(e.reason)}, {"message", e.message}});
  }
  nlohmann::json body = {{"accepted", result->accepted},
                         {"rejected", result->rejected},
                         {"errors", std::move(errors)}};
  return respond(JsonResponse(result->accepted > 0 ? 200 : 400, body));
}

HttpResponse Exporter::HandleLanding(const HttpRequest& req) {
  if (HttpResponse denied; !AuthorizedScrape(req, &denied)) return denied;
  if (req.path != "/") return HttpResponse{404, "text/plain; charset=utf-8", {}, "Not Found\n"};
  std::string body =
      "<!DOCTYPE html>\n<html><head><title>agent_exporter</title></head><body>\n"
      "<h1>agent_exporter</h1>\n<p>Prometheus exporter for AI agents, version " AGX_VERSION
      " (" AGX_REVISION ").</p>\n<ul>\n<li><a href=\"" +
      config_.web.telemetry_path + "\">Metrics</a></li>\n" +
      "<li><a href=\"/healthz\">Health</a></li>\n<li><a href=\"/-/ready\">Readiness</a></li>\n"
      "<li>Push events: <code>POST /v1/events</code> (NDJSON)</li>\n"
      "<li>OpenTelemetry: <code>POST /v1/traces</code>, <code>/v1/logs</code>, "
      "<code>/v1/metrics</code> (OTLP/HTTP, JSON or protobuf)</li>\n</ul>\n</body></html>\n";
  return HttpResponse{200, "text/html; charset=utf-8", {}, std::move(body)};
}

}  // namespace agx
