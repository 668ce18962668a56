// Fuzz target: the OTLP protobuf decoder (DecodeProtobuf for traces, logs and metrics;
// hand-written wire reader), then the Mapper over every request that decodes. The
// request's views point into the input, so this also checks no view outlives or overruns
// it (ASan). A failure must start with "invalid OTLP protobuf: ".
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "otlp/decode.h"
#include "otlp_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const agx::otlp::DecodeLimits limits;  // the defaults: depth 64, 128 attributes
  for (auto signal :
       {agx::otlp::Signal::kTraces, agx::otlp::Signal::kLogs, agx::otlp::Signal::kMetrics}) {
    auto request = agx::otlp::DecodeProtobuf(signal, body, limits);
    if (!request.ok()) {
      AGX_FUZZ_CHECK(request.error().rfind("invalid OTLP protobuf: ", 0) == 0,
                     "errors start with \"invalid OTLP protobuf: \"");
      continue;
    }
    AGX_FUZZ_CHECK(request->signal == signal, "the request has the asked signal");
    agx::fuzz::MapAndCheck(*request);
  }
  return 0;
}
