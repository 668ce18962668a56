#include "registry/update_batch.h"

namespace agx {

UpdateBatch::UpdateBatch() : table_(kTableSize) {}

UpdateBatch::~UpdateBatch() = default;

std::size_t UpdateBatch::MakeRoom(const void* key, std::size_t at) {
  if (counters_used_ + histograms_used_ < kMaxSeries) return at;
  Flush();
  bool found = false;
  return Find(key, &found);
}

std::size_t UpdateBatch::AddCounter(CounterHandle& h, std::size_t at) {
  at = MakeRoom(&h, at);
  if (counters_used_ == counters_.size()) counters_.emplace_back();
  CounterEntry& e = counters_[counters_used_];
  e.handle = &h;
  e.slot = static_cast<std::uint32_t>(at);
  e.sum = 0;
  e.exemplar.set = false;
  table_[at] = {&h, static_cast<std::uint32_t>(counters_used_++)};
  return at;
}

std::size_t UpdateBatch::AddHistogram(HistogramHandle& h, std::size_t at) {
  at = MakeRoom(&h, at);
  if (histograms_used_ == histograms_.size()) histograms_.emplace_back();
  HistogramEntry& e = histograms_[histograms_used_];
  e.handle = &h;
  e.slot = static_cast<std::uint32_t>(at);
  e.count = 0;
  e.sum = 0;
  const std::size_t buckets = h.bounds().size() + 1;
  e.increments.assign(buckets, 0.0);  // within capacity once warm: no allocation
  if (h.exemplars()) {
    e.exemplars.resize(buckets);
    for (ExemplarSlot& x : e.exemplars) x.set = false;
  } else {
    e.exemplars.clear();
  }
  table_[at] = {&h, static_cast<std::uint32_t>(histograms_used_++) | kHistogramBit};
  return at;
}

void UpdateBatch::Flush() {
  for (std::size_t i = 0; i < counters_used_; ++i) {
    CounterEntry& e = counters_[i];
    e.handle->AddBatch(e.sum, e.exemplar);
    table_[e.slot] = {};
  }
  for (std::size_t i = 0; i < histograms_used_; ++i) {
    HistogramEntry& e = histograms_[i];
    e.handle->ObserveBatch(e.count, e.increments, e.sum, e.last, e.exemplars);
    table_[e.slot] = {};
  }
  counters_used_ = 0;
  histograms_used_ = 0;
}

}  // namespace agx
