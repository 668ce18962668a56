// The HTTP handlers of the Exporter. HTTP-agnostic: they see HttpRequest/HttpResponse
// values only (civetweb stays in src/http/).
#include <nlohmann/json.hpp>

#include "app/exporter.h"
#include "app/request_body.h"
#include "app/version.h"
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

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  return HttpResponse{status, "application/json", {}, body.dump() + "\n"};
}

HttpResponse JsonError(int status, std::string_view message) {
  return JsonResponse(status, {{"error", message}});
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

// Media types accepted on POST /v1/events (parameters such as charset are ignored).
bool IsEventsContentType(std::string_view ct) {
  const std::string lower = MediaType(ct);
  return lower == "application/x-ndjson" || lower == "application/jsonl" ||
         lower == "application/x-jsonlines" || lower == "application/json" ||
         lower == "text/plain";
}

}  // namespace

bool Exporter::Authorized(const HttpRequest& req) const {
  if (bearer_token_.empty()) return true;
  std::string_view auth = req.Header("authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (auth.size() <= kPrefix.size() || auth.substr(0, kPrefix.size()) != kPrefix) return false;
  return ConstantTimeEquals(auth.substr(kPrefix.size()), bearer_token_);
}

// The tailers count rotations themselves; mirror them into the registry's counters.
// Called from HandleMetrics with scrape_mu_ held.
void Exporter::MirrorTailStats(const FileTailer& tailer, std::uint64_t* rotations_seen,
                               std::uint64_t* truncations_seen) {
  const TailStats st = tailer.stats();
  if (st.rotations > *rotations_seen) {
    registry_->Counter(MetricId::kTailRotations, {"rename"})
        .Inc(static_cast<double>(st.rotations - *rotations_seen));
    *rotations_seen = st.rotations;
  }
  if (st.truncations > *truncations_seen) {
    registry_->Counter(MetricId::kTailRotations, {"truncate"})
        .Inc(static_cast<double>(st.truncations - *truncations_seen));
    *truncations_seen = st.truncations;
  }
}

HttpResponse Exporter::HandleMetrics(const HttpRequest& req) {
  windows_->Refresh();
  {
    std::lock_guard lock(scrape_mu_);
    if (tailer_) MirrorTailStats(*tailer_, &tail_rotations_seen_, &tail_truncations_seen_);
    if (otlp_tailer_) {
      MirrorTailStats(*otlp_tailer_, &otlp_tail_rotations_seen_, &otlp_tail_truncations_seen_);
    }
  }
  if (wal_) registry_->Gauge(MetricId::kWalBytes, {}).Set(static_cast<double>(wal_->bytes()));
  agx::Snapshot snapshot = registry_->Collect();
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
  if (!Authorized(req)) {
    HttpResponse r = JsonError(401, "missing or invalid bearer token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"agent_exporter\"");
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
  if (auto s = SplitPushBody(raw, &storage, &lines, &line_numbers); !s.ok()) {
    return respond(JsonError(400, s.error()));
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
