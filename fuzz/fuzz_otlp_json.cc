// Fuzz target: the OTLP JSON decoders (DecodeJson for traces, logs and metrics, and
// DecodeJsonAnySignal as used for the Collector's file exporter lines), then the Mapper
// over every request that decodes. A failure must say "invalid OTLP JSON" or name the
// missing top-level key; a success must hold only items of its own signal.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "otlp/decode.h"
#include "otlp_check.h"

namespace {

void CheckSignal(const agx::otlp::ExportRequest& r) {
  using agx::otlp::Signal;
  AGX_FUZZ_CHECK(r.signal == Signal::kTraces || r.spans.empty(), "spans only in traces");
  AGX_FUZZ_CHECK(r.signal == Signal::kLogs || r.logs.empty(), "log records only in logs");
  AGX_FUZZ_CHECK(r.signal == Signal::kMetrics || r.metrics.empty(), "metrics only in metrics");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const agx::otlp::DecodeLimits limits;  // the defaults: depth 64, 128 attributes
  for (auto signal :
       {agx::otlp::Signal::kTraces, agx::otlp::Signal::kLogs, agx::otlp::Signal::kMetrics}) {
    auto request = agx::otlp::DecodeJson(signal, body, limits);
    if (!request.ok()) {
      AGX_FUZZ_CHECK(!request.error().empty(), "a failure has a message");
      continue;
    }
    AGX_FUZZ_CHECK(request->signal == signal, "the request has the asked signal");
    CheckSignal(*request);
    agx::fuzz::MapAndCheck(*request);
  }
  auto any = agx::otlp::DecodeJsonAnySignal(body, limits);
  if (any.ok()) {
    CheckSignal(*any);
    agx::fuzz::MapAndCheck(*any);
  } else {
    AGX_FUZZ_CHECK(!any.error().empty(), "a failure has a message");
  }
  return 0;
}
