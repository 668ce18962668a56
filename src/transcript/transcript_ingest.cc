#include "transcript/transcript_ingest.h"

#include "common/text.h"
#include "registry/registry.h"

namespace agx::transcript {

TranscriptIngest::TranscriptIngest(Pipeline& pipeline, Registry& registry, Format format,
                                   std::unique_ptr<TranscriptMapper> mapper)
    : pipeline_(pipeline), format_(format), mapper_(std::move(mapper)) {
  // Every reason exported from the start (as 0), so that rate() works at once.
  for (std::size_t r = 0; r < kDropReasonCount; ++r) {
    dropped_[r] = &registry.Counter(
        MetricId::kTranscriptDropped,
        {FormatName(format), DropReasonName(static_cast<DropReason>(r))});
  }
  pipeline_.AddStateSection("transcript." + std::string(FormatName(format)), this);
}

TranscriptIngest::~TranscriptIngest() = default;

void TranscriptIngest::OnLines(const FilePosition& after, std::span<const std::string_view> lines,
                               std::size_t oversized) {
  // Mapping changes the mapper's state: under the apply lock, so that a snapshot holds that
  // state exactly with the events and the position of the same lines.
  auto lock = pipeline_.ApplyLock();
  buffer_.clear();
  MapOutput out;
  out.lines = &buffer_;
  const FileContext file{after.dev, after.ino, after.path};
  for (std::string_view line : lines) {
    if (IsBlank(line)) continue;
    mapper_->MapLine(file, line, &out);
  }
  views_.clear();
  std::size_t start = 0;
  for (std::size_t end = buffer_.find('\n'); end != std::string::npos;
       end = buffer_.find('\n', start)) {
    views_.emplace_back(buffer_.data() + start, end - start);
    start = end + 1;
  }
  pipeline_.OnLinesLocked(Source::kTranscript, after, views_, oversized);
  pipeline_.CountRejected(Source::kTranscript, RejectReason::kInvalidJson, out.invalid);
  for (std::size_t r = 0; r < kDropReasonCount; ++r) {
    if (out.dropped[r] > 0) dropped_[r]->Inc(static_cast<double>(out.dropped[r]));
  }
}

void TranscriptIngest::OnFileClosed(const FilePosition& last) {
  auto lock = pipeline_.ApplyLock();
  mapper_->FileClosed(last.dev, last.ino);
  pipeline_.OnFileClosedLocked(last);
}

std::string TranscriptIngest::Save() const { return mapper_->Save(); }

Status TranscriptIngest::Load(std::string_view state) { return mapper_->Load(state); }

}  // namespace agx::transcript
