#include "registry/handles.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

namespace agx {
namespace {

bool HasExemplar(bool enabled, const ExemplarRef* ref) {
  return enabled && ref != nullptr && !ref->trace_id.empty();
}

}  // namespace

void ExemplarSlot::RecordAny(const ExemplarRef& ref, double v) {
  // Ids longer than the slots are malformed: drop the exemplar rather than store a wrong id.
  // With 32 + 16 chars the label set (names included) is at most 63 code points, well
  // within OpenMetrics' limit of 128.
  if (ref.trace_id.empty() || ref.trace_id.size() > trace_id.size() ||
      ref.span_id.size() > span_id.size()) {
    return;
  }
  std::memcpy(trace_id.data(), ref.trace_id.data(), ref.trace_id.size());
  // memcpy from a null pointer is undefined even for 0 bytes (an absent span_id).
  if (!ref.span_id.empty()) std::memcpy(span_id.data(), ref.span_id.data(), ref.span_id.size());
  trace_len = static_cast<std::uint8_t>(ref.trace_id.size());
  span_len = static_cast<std::uint8_t>(ref.span_id.size());
  value = v;
  timestamp = std::isfinite(ref.timestamp) && ref.timestamp > 0 ? ref.timestamp : 0;
  set = true;
}

std::optional<Exemplar> ExemplarSlot::Get() const {
  std::optional<Exemplar> e;
  GetInto(&e);
  return e;
}

void ExemplarSlot::GetInto(std::optional<Exemplar>* out) const {
  if (!set) {
    out->reset();
    return;
  }
  if (!out->has_value()) out->emplace();
  Exemplar& e = **out;
  e.trace_id.assign(trace_id.data(), trace_len);
  e.span_id.assign(span_id.data(), span_len);
  e.value = value;
  e.timestamp = timestamp;
}

void ExemplarSlot::Load(const Exemplar& e) {
  if (!std::isfinite(e.value)) return;
  const ExemplarRef ref{e.trace_id, e.span_id, e.timestamp};
  Record(ref, e.value);
}

void CounterHandle::Inc(double v, const ExemplarRef* ex) {
  if (!std::isfinite(v) || v < 0) return;
  c_.Increment(v);
  if (HasExemplar(exemplars_, ex)) {
    std::lock_guard lock(mu_);
    slot_.Record(*ex, v);
  }
}

void CounterHandle::AddBatch(double sum, const ExemplarSlot& latest) {
  c_.Increment(sum);
  if (exemplars_ && latest.set) {
    std::lock_guard lock(mu_);
    slot_ = latest;
  }
}

double CounterHandle::Value() const { return c_.Value(); }

std::optional<Exemplar> CounterHandle::GetExemplar() const {
  std::optional<Exemplar> e;
  ReadExemplar(&e);
  return e;
}

void CounterHandle::ReadExemplar(std::optional<Exemplar>* out) const {
  std::lock_guard lock(mu_);
  slot_.GetInto(out);
}

void CounterHandle::LoadExemplar(const Exemplar& e) {
  if (!exemplars_) return;
  std::lock_guard lock(mu_);
  slot_.Load(e);
}

HistogramHandle::HistogramHandle(std::span<const double> bounds, bool exemplars)
    : h_(std::vector<double>(bounds.begin(), bounds.end())),
      bounds_(bounds),
      exemplars_(exemplars),
      slots_(exemplars ? bounds.size() + 1 : 0) {}

void HistogramHandle::Observe(double v, const ExemplarRef* ex) {
  if (!std::isfinite(v)) return;
  h_.Observe(v);
  if (HasExemplar(exemplars_, ex)) {
    const std::size_t bucket = BucketOf(v);
    std::lock_guard lock(mu_);
    slots_[bucket].Record(*ex, v);
  }
}

void HistogramHandle::ObserveBatch(std::uint32_t count, const std::vector<double>& increments,
                                   double sum, double last, std::span<const ExemplarSlot> latest) {
  if (count == 0) return;
  // One observation: Observe touches one bucket where ObserveMultiple updates them all.
  if (count == 1) {
    h_.Observe(last);
  } else {
    h_.ObserveMultiple(increments, sum);
  }
  if (!exemplars_ || latest.size() != slots_.size()) return;
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < latest.size(); ++i) {
    if (latest[i].set) slots_[i] = latest[i];
  }
}

std::vector<std::optional<Exemplar>> HistogramHandle::GetExemplars() const {
  std::vector<std::optional<Exemplar>> out;
  ReadExemplars(&out);
  return out;
}

void HistogramHandle::ReadExemplars(std::vector<std::optional<Exemplar>>* out) const {
  if (!exemplars_) {
    out->clear();
    return;
  }
  out->resize(slots_.size());
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < slots_.size(); ++i) slots_[i].GetInto(&(*out)[i]);
}

void HistogramHandle::Read(std::vector<std::uint64_t>* cumulative_counts, double* sum) const {
  const prometheus::ClientMetric cm = h_.Collect();
  cumulative_counts->clear();
  cumulative_counts->reserve(cm.histogram.bucket.size());
  for (const auto& b : cm.histogram.bucket) cumulative_counts->push_back(b.cumulative_count);
  *sum = cm.histogram.sample_sum;
}

void HistogramHandle::LoadExemplars(const std::vector<std::optional<Exemplar>>& e) {
  if (!exemplars_) return;
  std::lock_guard lock(mu_);
  const std::size_t n = std::min(e.size(), slots_.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (!e[i].has_value() || !std::isfinite(e[i]->value)) continue;
    // OpenMetrics requires an exemplar's value to fall within its bucket.
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(bounds_.begin(), bounds_.end(), e[i]->value) - bounds_.begin());
    if (bucket == i) slots_[i].Load(*e[i]);
  }
}

void GaugeHandle::Set(double v) { g_.Set(v); }

double GaugeHandle::Value() const { return g_.Value(); }

}  // namespace agx
