// The OTLP/HTTP handlers of the Exporter (docs/otlp.md): content negotiation, limits and
// reply encoding. Decoding, mapping and durability are OtlpIngest's.
#include "app/auth.h"
#include "app/exporter.h"
#include "app/request_body.h"
#include "http/server.h"
#include "otlp/otlp_ingest.h"
#include "otlp/response.h"
#include "registry/registry.h"

namespace agx {
namespace {

// google.rpc.Code values used in error replies.
constexpr int kInvalidArgument = 3;
constexpr int kDeadlineExceeded = 4;
constexpr int kResourceExhausted = 8;
constexpr int kUnavailable = 14;
constexpr int kUnauthenticated = 16;

otlp::Encoding EncodingOf(const HttpRequest& req) {
  return MediaType(req.Header("content-type")) == "application/x-protobuf"
             ? otlp::Encoding::kProtobuf
             : otlp::Encoding::kJson;
}

}  // namespace

HttpResponse Exporter::OtlpError(otlp::Signal signal, const HttpRequest& req, int status,
                                 std::string_view message) {
  const otlp::Encoding encoding = EncodingOf(req);
  registry_->Counter(MetricId::kOtlpRequests, {otlp::SignalName(signal), std::to_string(status)})
      .Inc();
  // 408: the body did not arrive in time (DEADLINE_EXCEEDED); 413, 429: a limit.
  const int code = status == 408 ? kDeadlineExceeded : kResourceExhausted;
  return HttpResponse{status, std::string(otlp::ContentType(encoding)), {},
                      otlp::StatusResponse(encoding, code, message)};
}

HttpResponse Exporter::HandleOtlp(otlp::Signal signal, const HttpRequest& req) {
  otlp::Encoding encoding = otlp::Encoding::kJson;
  auto respond = [&](int status, std::string body) {
    registry_->Counter(MetricId::kOtlpRequests, {otlp::SignalName(signal), std::to_string(status)})
        .Inc();
    return HttpResponse{status, std::string(otlp::ContentType(encoding)), {}, std::move(body)};
  };
  auto error = [&](int status, int grpc_code, std::string_view message) {
    return respond(status, otlp::StatusResponse(encoding, grpc_code, message));
  };

  // Replies use the request's encoding; anything but protobuf is answered in JSON.
  const std::string media = MediaType(req.Header("content-type"));
  if (media == "application/x-protobuf") encoding = otlp::Encoding::kProtobuf;
  if (const AuthOutcome a = AuthorizeIngest(req); a == AuthOutcome::kBusy) {
    HttpResponse r = error(429, kResourceExhausted, kAuthBusyMessage);
    r.headers.emplace_back("Retry-After", "1");
    return r;
  } else if (a != AuthOutcome::kAllowed) {
    HttpResponse r = error(401, kUnauthenticated, "missing or invalid credentials");
    AddChallenges(true, &r);
    return r;
  }
  if (media != "application/x-protobuf" && media != "application/json") {
    return error(415, kInvalidArgument,
                 "unsupported Content-Type \"" + media +
                     "\"; use application/x-protobuf or application/json");
  }

  std::string storage;
  std::string_view body;
  if (BodyError e = DecodeRequestBody(req, config_.web.max_decompressed_bytes, &storage, &body);
      e.status != 0) {
    return error(e.status, e.status == 413 ? kResourceExhausted : kInvalidArgument, e.message);
  }
  const otlp::ExportOutcome outcome =
      otlp_->Export(signal, body, encoding == otlp::Encoding::kProtobuf);
  switch (outcome.kind) {
    case otlp::ExportOutcome::Kind::kBadRequest:
      return error(400, kInvalidArgument, outcome.message);
    case otlp::ExportOutcome::Kind::kTooLarge:
      return error(413, kResourceExhausted, outcome.message);
    case otlp::ExportOutcome::Kind::kUnavailable: {
      HttpResponse r = error(503, kUnavailable, outcome.message);
      r.headers.emplace_back("Retry-After", "5");
      return r;
    }
    case otlp::ExportOutcome::Kind::kBusy: {
      HttpResponse r = error(429, kResourceExhausted, outcome.message);
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case otlp::ExportOutcome::Kind::kOk:
      break;
  }
  return respond(200, otlp::ExportResponse(signal, encoding, outcome.rejected,
                                           outcome.rejected > 0 ? outcome.message : ""));
}

}  // namespace agx
