#include "otlp/otlp_ingest.h"

#include <algorithm>
#include <vector>

#include "common/log.h"
#include "registry/registry.h"
#include "state/wal.h"

namespace agx::otlp {

// The span memory as the pipeline's annex (ingest/batch_annex.h): a batch's reservations are
// committed when its lines are applied, replayed with them, and saved in the snapshot.
class OtlpIngest::MemoryAnnex final : public BatchAnnex {
 public:
  explicit MemoryAnnex(SpanMemory& memory) : memory_(memory) {}

  void Apply(std::string_view data, bool replayed) override {
    std::vector<SpanUpdate> updates;
    if (!SpanMemory::Decode(data, &updates)) {
      log::Warn("otlp: span memory record ignored (malformed)", {});
      return;
    }
    if (replayed) {
      memory_.Replay(updates);
    } else {
      memory_.Commit(updates);
    }
  }
  std::string Save() const override { return memory_.Save(); }
  Status Load(std::string_view state) override {
    if (auto s = memory_.Load(state); !s.ok()) return Error{"otlp span memory: " + s.error()};
    return OkStatus();
  }

 private:
  SpanMemory& memory_;
};

// Tailed OTLP JSON files: every line is one export request of any signal. Lines that do
// not decode are rejected (invalid_json, source file) and the tail goes on; the mapped
// lines of a whole read are applied with the read's position, so exactly-once holds as for
// native files.
class OtlpIngest::FileSink final : public TailSink {
 public:
  explicit FileSink(OtlpIngest& ingest) : ingest_(ingest) {}

  void OnLines(const FilePosition& after, std::span<const std::string_view> lines,
               std::size_t oversized) override {
    buffer_.clear();
    ends_.clear();
    annex_.clear();
    std::size_t invalid = 0;
    std::size_t too_large = 0;
    MappedBatch batch;
    for (std::string_view line : lines) {
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      if (DecodeMemory(line.size(), false) > ingest_.decode_budget_.capacity()) {
        ++too_large;  // one tailer thread: the budget is this line's alone
        continue;
      }
      DecodeFailure failure = DecodeFailure::kNone;
      auto request = DecodeJsonAnySignal(line, ingest_.limits_, &failure);
      if (!request.ok()) {
        ++(failure == DecodeFailure::kTooLarge ? too_large : invalid);
        continue;
      }
      ingest_.mapper_.Map(*request, &batch);
      if (batch.too_large) {  // as a request would get 413: the whole line is refused
        ingest_.mapper_.span_memory().Rollback(batch.span_updates);
        ++too_large;
        continue;
      }
      ingest_.Count(request->signal, batch, Source::kFile);
      ingest_.mapper_.Commit(batch);  // a tailed line is never retried: commit at once
      SpanMemory::Encode(batch.span_updates, &annex_);  // committed with the lines below
      for (std::string_view l : batch.lines) {
        buffer_.append(l);
        ends_.push_back(buffer_.size());
      }
    }
    views_.clear();
    std::size_t start = 0;
    for (std::size_t end : ends_) {
      views_.emplace_back(buffer_.data() + start, end - start);
      start = end;
    }
    ingest_.pipeline_.CountRejected(Source::kFile, RejectReason::kInvalidJson, invalid);
    ingest_.pipeline_.CountRejected(Source::kFile, RejectReason::kLineTooLong, too_large);
    ingest_.pipeline_.OnLinesWithAnnex(after, views_, oversized, annex_);
  }

  void OnFileClosed(const FilePosition& last) override { ingest_.pipeline_.OnFileClosed(last); }

 private:
  OtlpIngest& ingest_;
  std::string buffer_;  // reused between reads
  std::vector<std::size_t> ends_;
  std::vector<std::string_view> views_;
  std::string annex_;
};

MapLimits MapLimitsFor(const Config& config) {
  // The events of one request may take as much as the largest body a push may send, and
  // never so much that they and the span memory's updates (counted with them) overflow one
  // write-ahead-log record, which would be a 503 retried forever.
  return MapLimits{config.registry.label_value_max_bytes,
                   std::min<std::size_t>(config.web.max_decompressed_bytes,
                                         Wal::kMaxPayloadBytes / 2)};
}

OtlpIngest::OtlpIngest(const Config& config, Registry& registry, Pipeline& pipeline,
                       std::uint64_t start_time_ns)
    : pipeline_(pipeline),
      decode_budget_(config.otlp.decode_memory_bytes),
      mapper_(config.otlp, start_time_ns, MapLimitsFor(config)),
      annex_(std::make_unique<MemoryAnnex>(mapper_.span_memory())),
      file_sink_(std::make_unique<FileSink>(*this)) {
  pipeline_.SetAnnex(annex_.get());
  limits_.max_attributes = config.otlp.max_attributes;
  limits_.max_depth = config.otlp.max_depth;
  limits_.max_items = config.otlp.max_items_per_request;
  // Every signal x reason is exported from the start (at 0), so rate() works at once.
  for (std::size_t s = 0; s < dropped_.size(); ++s) {
    for (std::size_t r = 0; r < kDropReasonCount; ++r) {
      dropped_[s][r] = &registry.Counter(
          MetricId::kOtlpDropped,
          {SignalName(static_cast<Signal>(s)), DropReasonName(static_cast<DropReason>(r))});
    }
  }
}

OtlpIngest::~OtlpIngest() { pipeline_.SetAnnex(nullptr); }

TailSink* OtlpIngest::file_sink() { return file_sink_.get(); }

void OtlpIngest::Count(Signal signal, const MappedBatch& batch, Source source) {
  const auto s = static_cast<std::size_t>(signal);
  for (std::size_t r = 0; r < kDropReasonCount; ++r) {
    if (batch.dropped[r] > 0) dropped_[s][r]->Inc(static_cast<double>(batch.dropped[r]));
  }
  for (std::size_t r = 1; r < kRejectReasonCount; ++r) {
    pipeline_.CountRejected(source, static_cast<RejectReason>(r), batch.rejected_by_reason[r]);
  }
}

std::string TooManyEventsMessage(const MapLimits& limits) {
  return "the events mapped from this request exceed " +
         std::to_string(limits.max_mapped_bytes) +
         " bytes (web.max_decompressed_bytes, at most 32 MiB); send fewer items per request";
}

std::size_t OtlpIngest::DecodeMemory(std::size_t body, bool protobuf) {
  // Measured: simdjson's DOM takes 13.4-13.6 times the body (its tape and structural index
  // are sized by the input, whatever it holds); the protobuf decoder's stored form is capped
  // at 4 times the body + 1 MiB (decode_budget.h).
  return protobuf ? 4 * body + (std::size_t{1} << 20) : 14 * body;
}

ExportOutcome OtlpIngest::Export(Signal signal, std::string_view body, bool protobuf) {
  ExportOutcome out;
  // Reserve what decoding may take before it starts: concurrent requests then never hold
  // more than otlp.decode_memory_bytes together.
  const std::size_t need = DecodeMemory(body.size(), protobuf);
  if (need > decode_budget_.capacity()) {
    out.kind = ExportOutcome::Kind::kTooLarge;
    out.message = std::string("decoding this ") + (protobuf ? "protobuf" : "JSON") + " body of " +
                  std::to_string(body.size()) + " bytes needs about " + std::to_string(need >> 20) +
                  " MiB, over otlp.decode_memory_bytes (" +
                  std::to_string(decode_budget_.capacity() >> 20) +
                  " MiB); send smaller batches" + (protobuf ? "" : ", or protobuf (4 times leaner)");
    return out;
  }
  ByteBudget::Hold hold = decode_budget_.TryReserve(need);
  if (!hold) {
    out.kind = ExportOutcome::Kind::kBusy;
    out.message = "other OTLP requests are being decoded (otlp.decode_memory_bytes in use); retry";
    return out;
  }
  DecodeFailure failure = DecodeFailure::kNone;
  auto request = protobuf ? DecodeProtobuf(signal, body, limits_, &failure)
                          : DecodeJson(signal, body, limits_, &failure);
  if (!request.ok()) {
    out.kind = failure == DecodeFailure::kTooLarge ? ExportOutcome::Kind::kTooLarge
                                                   : ExportOutcome::Kind::kBadRequest;
    out.message = request.error();
    return out;
  }
  std::unique_lock<std::mutex> serial;
  if (signal == Signal::kMetrics) serial = std::unique_lock(metrics_mu_);
  MappedBatch batch;
  mapper_.Map(*request, &batch);
  if (batch.too_large) {
    // Refused whole, like a body over the size limits: nothing is applied or counted but the
    // request (the client splits it; 413 is not retried).
    mapper_.span_memory().Rollback(batch.span_updates);
    out.kind = ExportOutcome::Kind::kTooLarge;
    out.message = TooManyEventsMessage(mapper_.limits());
    return out;
  }
  // Rejections of the mapper are counted before the WAL write: they are final whatever
  // happens to the valid lines (a retry would reject them again and count them again,
  // as for /v1/events).
  Count(signal, batch, Source::kOtlp);
  out.items = batch.items;
  out.rejected = batch.rejected;
  out.message = batch.first_error;
  std::string annex;
  SpanMemory::Encode(batch.span_updates, &annex);
  if (!batch.lines.empty() || !annex.empty()) {
    auto pushed = pipeline_.Push(batch.lines, Source::kOtlp, annex);
    if (!pushed.ok()) {
      // Not acknowledged: the client retries, and its spans must count then.
      mapper_.span_memory().Rollback(batch.span_updates);
      out.kind = ExportOutcome::Kind::kUnavailable;
      out.message = pushed.error();
      return out;
    }
    out.rejected += pushed->rejected;
    if (out.message.empty() && !pushed->errors.empty()) {
      out.message = "mapped event rejected: " + pushed->errors.front().message;
    }
  }
  mapper_.Commit(batch);
  return out;
}

}  // namespace agx::otlp
