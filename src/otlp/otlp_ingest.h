#pragma once
// OtlpIngest: the OTLP data path, transport-agnostic. It decodes an export request, maps
// it to native event lines (Mapper), counts dropped and rejected items, and hands the
// lines to the Pipeline: through the WAL for HTTP exports (Export), or with the file
// position for tailed OTLP JSON files (file_sink()).
// Thread-safe: Export runs concurrently on HTTP worker threads; the file sink is called on
// the tailer's thread only (TailSink contract).
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/byte_budget.h"
#include "config/config.h"
#include "ingest/pipeline.h"
#include "otlp/decode.h"
#include "otlp/mapper.h"
#include "otlp/otlp_model.h"
#include "tail/file_tailer.h"

namespace agx {
class Registry;
class CounterHandle;
}  // namespace agx

namespace agx::otlp {

struct ExportOutcome {
  enum class Kind : std::uint8_t {
    kOk,           ///< applied (possibly with rejected items): 200
    kBadRequest,   ///< the body does not decode: 400, nothing applied
    kTooLarge,     ///< over a per-request limit (decode_budget.h, MapLimits): 413, nothing applied
    kUnavailable,  ///< the WAL cannot be written: 503, nothing applied
    kBusy,         ///< the decode memory budget is in use: 429, nothing applied
  };
  Kind kind = Kind::kOk;
  std::size_t items = 0;     ///< items in the request
  std::size_t rejected = 0;  ///< items rejected (partialSuccess)
  std::string message;       ///< error, or the first rejected item's problem
};

/// The mapper's limits from the config: registry.label_value_max_bytes, and for the events
/// of one request web.max_decompressed_bytes, at most half a write-ahead-log record (32 MiB).
MapLimits MapLimitsFor(const Config& config);
/// The message of a request refused because its events exceed limits.max_mapped_bytes.
std::string TooManyEventsMessage(const MapLimits& limits);

class OtlpIngest {
 public:
  OtlpIngest(const Config& config, Registry& registry, Pipeline& pipeline,
             std::uint64_t start_time_ns);
  ~OtlpIngest();

  /// One OTLP/HTTP export request (already decompressed).
  ExportOutcome Export(Signal signal, std::string_view body, bool protobuf);

  /// The sink for a FileTailer over OTLP JSON files (one export request per line).
  TailSink* file_sink();

  const Mapper& mapper() const { return mapper_; }

 private:
  class FileSink;
  class MemoryAnnex;
  /// Counts the dropped and mapper-rejected items of a mapped batch under `source`.
  void Count(Signal signal, const MappedBatch& batch, Source source);

  /// The memory decoding `body` may take (otlp.decode_memory_bytes explains the factors).
  static std::size_t DecodeMemory(std::size_t body, bool protobuf);

  Pipeline& pipeline_;
  DecodeLimits limits_;
  ByteBudget decode_budget_;  // otlp.decode_memory_bytes, shared by concurrent exports
  Mapper mapper_;
  std::unique_ptr<MemoryAnnex> annex_;
  std::array<std::array<CounterHandle*, kDropReasonCount>,
             static_cast<std::size_t>(Signal::kCount)> dropped_{};
  std::unique_ptr<FileSink> file_sink_;
  // Metrics exports are mapped, logged and committed one at a time: two concurrent requests
  // for the same cumulative series would otherwise both take their delta from the same
  // committed point and count the increase twice. Traces and logs run concurrently.
  std::mutex metrics_mu_;
};

}  // namespace agx::otlp
