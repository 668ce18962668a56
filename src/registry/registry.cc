#include "registry/registry.h"

#include <algorithm>
#include <atomic>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "common/utf8.h"

namespace agx {
namespace {

// Series keys: label values joined with kSep. A value containing kSep or kEsc gets each such
// byte prefixed with kEsc, so distinct label sets always give distinct keys; ordinary values
// are appended as they are.
constexpr char kSep = '\x1f';
constexpr char kEsc = '\x1e';

void AppendKeyPart(std::string_view v, std::string* key) {
  // A plain loop: string_view::find_first_of calls memchr once per character of `v`.
  bool special = false;
  for (char c : v) special |= (c == kSep) | (c == kEsc);
  if (!special) {
    key->append(v);
    return;
  }
  for (char c : v) {
    if (c == kSep || c == kEsc) key->push_back(kEsc);
    key->push_back(c);
  }
}

/// Builds the key of `labels` (each cut to `max_bytes`, except the overflow marker, so
/// that a restored overflow series stays the overflow series) into `key`.
/// \return the number of values that were cut.
std::size_t BuildKey(std::span<const std::string_view> labels, std::size_t max_bytes,
                     std::string* key) {
  key->clear();
  std::size_t truncated = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) key->push_back(kSep);
    bool cut = false;
    AppendKeyPart(CutLabelValue(labels[i], max_bytes, &cut), key);
    truncated += cut ? 1 : 0;
  }
  return truncated;
}

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// A series is its key (in the map node) and one handle, which owns the prometheus-cpp
// metric. Label values are not stored twice: they are decoded from the key when collected.
struct Series {
  std::unique_ptr<CounterHandle> c;
  std::unique_ptr<GaugeHandle> g;
  std::unique_ptr<HistogramHandle> h;
};

using SeriesMap = std::unordered_map<std::string, Series, KeyHash, std::equal_to<>>;
using SeriesEntry = SeriesMap::value_type;

/// Splits a key back into its label values (undoing AppendKeyPart's escapes).
void DecodeKey(std::string_view key, std::size_t n, std::vector<std::string>* values) {
  // Reuses the strings already in `values` (a kept snapshot decodes without allocating).
  values->resize(n);
  for (std::string& v : *values) v.clear();
  if (n == 0) return;
  std::size_t part = 0;
  std::size_t i = 0;
  while (i < key.size()) {
    // A run of plain bytes at once, then the separator or escape that ends it.
    std::size_t j = i;
    while (j < key.size() && key[j] != kSep && key[j] != kEsc) ++j;
    (*values)[part].append(key.data() + i, j - i);
    if (j == key.size()) break;
    if (key[j] == kSep) {
      if (++part >= n) return;  // cannot happen for keys built by BuildKey
      i = j + 1;
    } else if (j + 1 < key.size()) {
      (*values)[part].push_back(key[j + 1]);  // an escaped byte
      i = j + 2;
    } else {
      (*values)[part].push_back(key[j]);  // a trailing escape byte, kept as the old loop did
      i = j + 1;
    }
  }
}

/// Orders keys as their decoded label-value tuples (each value compared as unsigned bytes,
/// like std::string), without decoding them.
bool KeyLess(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  for (;;) {
    const bool a_end = i == a.size() || a[i] == kSep;
    const bool b_end = j == b.size() || b[j] == kSep;
    if (a_end || b_end) {
      if (!a_end) return false;  // b's value is a prefix of a's
      if (!b_end) return true;
      if (i == a.size() || j == b.size()) return i == a.size() && j != b.size();
      ++i;
      ++j;
      continue;
    }
    if (a[i] == kEsc && i + 1 < a.size()) ++i;
    if (b[j] == kEsc && j + 1 < b.size()) ++j;
    const auto ca = static_cast<unsigned char>(a[i]), cb = static_cast<unsigned char>(b[j]);
    if (ca != cb) return ca < cb;
    ++i;
    ++j;
  }
}

std::string TypeError(const MetricSpec& spec, MetricType want) {
  return "agx::Registry: " + std::string(spec.name) + " is a " + std::string(TypeName(spec.type)) +
         ", not a " + std::string(TypeName(want));
}

bool ValidBounds(const std::vector<double>& b) {
  if (b.empty()) return false;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i]) || (i > 0 && b[i] <= b[i - 1])) return false;
  }
  return true;
}

}  // namespace

std::string_view CutLabelValue(std::string_view value, std::size_t max_bytes, bool* cut) {
  *cut = value.size() > max_bytes && value != kOverflowLabelValue;
  return *cut ? TruncateUtf8(value, max_bytes) : value;
}

struct MetricState {
  const MetricSpec* spec = nullptr;
  std::vector<double> bounds;  // histograms
  std::string overflow_key;

  mutable std::shared_mutex mu;
  // guarded by mu. Handles are separate allocations, so they stay valid across rehashes.
  SeriesMap series;
  std::size_t limited = 0;  // guarded by mu: series counting toward the limit (not overflow)
  std::uint64_t generation = 0;  // guarded by mu: bumped by every insert and removal

  // Series in label order, rebuilt only when `generation` moved: a scrape of an unchanged
  // set of series then costs no sort. Guarded by sort_mu (taken after mu, shared or not).
  mutable std::mutex sort_mu;
  mutable std::vector<const SeriesEntry*> sorted;
  mutable std::uint64_t sorted_generation = ~std::uint64_t{0};
};

struct Registry::Impl {
  std::atomic<std::size_t> total_limited{0};  // series counting toward max_series
  RegistryOptions options;
  std::array<MetricState, kMetricCount> metrics;

  /// The self metrics about metrics take catalogue names as label values: these are never
  /// cut, so that internal updates and restored series agree on the key.
  std::size_t MaxBytes(const MetricState& m) const {
    return m.spec->id == MetricId::kSeriesOverflow ||
                   m.spec->id == MetricId::kLabelValuesTruncated ||
                   m.spec->id == MetricId::kStateRestoreErrors
               ? std::numeric_limits<std::size_t>::max()
               : options.label_value_max_bytes;
  }

  /// Finds or creates the series. `internal` resolutions (self metrics about other metrics,
  /// whose label values are catalogue names) bypass the limit and are not counted, so they
  /// cannot recurse.
  Series& Resolve(MetricId id, MetricType want, std::span<const std::string_view> labels,
                  bool internal, bool* cacheable = nullptr);
  Series& Insert(MetricState& m, std::span<const std::string_view> labels, const std::string& key,
                 bool internal, bool* overflowed);
  Series Create(const MetricState& m) const;
  void CountSelf(MetricId self, const MetricSpec& about, double n);
  /// agent_exporter_state_restore_errors_total{metric,reason} += n (internal: a catalogue
  /// name or "unknown", and a fixed reason).
  void CountRestoreError(std::string_view metric, std::string_view reason, double n);
};

Registry::Registry(RegistryOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  for (const auto& [id, b] : impl_->options.buckets) {
    if (static_cast<std::size_t>(id) >= kMetricCount || Spec(id).type != MetricType::kHistogram) {
      throw std::invalid_argument(
          "agx::Registry: bucket override for a metric that is not a histogram");
    }
    if (!ValidBounds(b)) {
      throw std::invalid_argument("agx::Registry: buckets of " + std::string(Spec(id).name) +
                                  " must be finite and strictly ascending");
    }
  }
  for (const MetricSpec& spec : AllMetrics()) {
    MetricState& m = impl_->metrics[static_cast<std::size_t>(spec.id)];
    m.spec = &spec;
    for (std::size_t i = 0; i < spec.labels.size(); ++i) {
      if (i > 0) m.overflow_key.push_back(kSep);
      m.overflow_key.append(kOverflowLabelValue);
    }
    if (spec.type == MetricType::kHistogram) {
      auto it = impl_->options.buckets.find(spec.id);
      m.bounds = it != impl_->options.buckets.end()
                     ? it->second
                     : std::vector<double>(spec.buckets.begin(), spec.buckets.end());
    }
  }
}

Registry::~Registry() = default;

Series Registry::Impl::Create(const MetricState& m) const {
  Series s;
  switch (m.spec->type) {
    case MetricType::kCounter:
      s.c = std::make_unique<CounterHandle>(m.spec->exemplars);
      break;
    case MetricType::kGauge:
      s.g = std::make_unique<GaugeHandle>();
      break;
    case MetricType::kHistogram:
      s.h = std::make_unique<HistogramHandle>(m.bounds, m.spec->exemplars);
      break;
  }
  return s;
}

Series& Registry::Impl::Insert(MetricState& m, std::span<const std::string_view> labels,
                               const std::string& key, bool internal, bool* overflowed) {
  std::unique_lock lock(m.mu);
  // Another thread may have inserted it between our shared and exclusive locks.
  if (auto it = m.series.find(key); it != m.series.end()) return it->second;
  const bool is_overflow = key == m.overflow_key;
  if (!is_overflow && !internal &&
      (m.limited >= options.series_limit ||
       total_limited.load(std::memory_order_relaxed) >= options.max_series)) {
    *overflowed = true;
    if (auto it = m.series.find(m.overflow_key); it != m.series.end()) return it->second;
    auto [it, _] = m.series.emplace(m.overflow_key, Create(m));
    ++m.generation;
    return it->second;
  }
  // The key already holds the values as stored (cut to MaxBytes by BuildKey).
  auto [it, _] = m.series.emplace(key, Create(m));
  ++m.generation;
  if (!is_overflow) {
    ++m.limited;
    total_limited.fetch_add(1, std::memory_order_relaxed);
  }
  return it->second;
}

Series& Registry::Impl::Resolve(MetricId id, MetricType want,
                                std::span<const std::string_view> labels, bool internal,
                                bool* cacheable) {
  if (static_cast<std::size_t>(id) >= kMetricCount) {
    throw std::invalid_argument("agx::Registry: unknown metric id");
  }
  MetricState& m = metrics[static_cast<std::size_t>(id)];
  if (m.spec->type != want) throw std::invalid_argument(TypeError(*m.spec, want));
  if (labels.size() != m.spec->labels.size()) {
    throw std::invalid_argument("agx::Registry: " + std::string(m.spec->name) + " takes " +
                                std::to_string(m.spec->labels.size()) + " label values, got " +
                                std::to_string(labels.size()));
  }
  // One buffer per thread: looking up an existing series allocates nothing. Nested
  // resolutions (CountSelf) reuse it only after this one is done with it.
  thread_local std::string key;
  const std::size_t truncated = BuildKey(labels, MaxBytes(m), &key);
  Series* s = nullptr;
  {
    std::shared_lock lock(m.mu);
    if (auto it = m.series.find(std::string_view(key)); it != m.series.end()) {
      s = &it->second;
    }
  }
  bool overflowed = false;
  if (s == nullptr) s = &Insert(m, labels, key, internal, &overflowed);
  if (cacheable != nullptr) *cacheable = truncated == 0 && !overflowed && key != m.overflow_key;
  if (!internal) {
    if (truncated > 0) CountSelf(MetricId::kLabelValuesTruncated, *m.spec, truncated);
    if (overflowed) CountSelf(MetricId::kSeriesOverflow, *m.spec, 1);
  }
  return *s;
}

void Registry::Impl::CountSelf(MetricId self, const MetricSpec& about, double n) {
  const std::string_view labels[] = {about.name};
  Resolve(self, MetricType::kCounter, labels, /*internal=*/true).c->Inc(n);
}

void Registry::Impl::CountRestoreError(std::string_view metric, std::string_view reason,
                                       double n) {
  const std::string_view labels[] = {metric, reason};
  Resolve(MetricId::kStateRestoreErrors, MetricType::kCounter, labels, /*internal=*/true).c->Inc(n);
}

void Registry::CountRestoreError(std::string_view metric, std::string_view reason, double n) {
  if (n <= 0) return;
  impl_->CountRestoreError(FindMetric(metric) != nullptr ? metric : "unknown", reason, n);
}

CounterHandle& Registry::Counter(MetricId id, std::span<const std::string_view> labels) {
  return *impl_->Resolve(id, MetricType::kCounter, labels, false).c;
}

CounterHandle& Registry::Counter(MetricId id, std::span<const std::string_view> labels,
                                 bool* cacheable) {
  return *impl_->Resolve(id, MetricType::kCounter, labels, false, cacheable).c;
}

HistogramHandle& Registry::Histogram(MetricId id, std::span<const std::string_view> labels,
                                     bool* cacheable) {
  return *impl_->Resolve(id, MetricType::kHistogram, labels, false, cacheable).h;
}

HistogramHandle& Registry::Histogram(MetricId id, std::span<const std::string_view> labels) {
  return *impl_->Resolve(id, MetricType::kHistogram, labels, false).h;
}

GaugeHandle& Registry::Gauge(MetricId id, std::span<const std::string_view> labels) {
  return *impl_->Resolve(id, MetricType::kGauge, labels, false).g;
}

GaugeHandle& Registry::Gauge(MetricId id, std::span<const std::string_view> labels,
                            bool* cacheable) {
  return *impl_->Resolve(id, MetricType::kGauge, labels, false, cacheable).g;
}

bool Registry::HasRoom(MetricId id) const {
  if (static_cast<std::size_t>(id) >= kMetricCount) return false;
  const MetricState& m = impl_->metrics[static_cast<std::size_t>(id)];
  std::shared_lock lock(m.mu);
  return m.limited < impl_->options.series_limit &&
         impl_->total_limited.load(std::memory_order_relaxed) < impl_->options.max_series;
}

void Registry::CountOverflow(MetricId id, double n) {
  if (static_cast<std::size_t>(id) >= kMetricCount) return;
  impl_->CountSelf(MetricId::kSeriesOverflow, Spec(id), n);
}

void Registry::CountTruncated(MetricId id, double n) {
  if (static_cast<std::size_t>(id) >= kMetricCount) return;
  impl_->CountSelf(MetricId::kLabelValuesTruncated, Spec(id), n);
}

const RegistryOptions& Registry::options() const { return impl_->options; }

void Registry::RemoveGauge(MetricId id, std::span<const std::string_view> labels) {
  if (static_cast<std::size_t>(id) >= kMetricCount) return;
  MetricState& m = impl_->metrics[static_cast<std::size_t>(id)];
  if (m.spec->type != MetricType::kGauge)
    throw std::invalid_argument(TypeError(*m.spec, MetricType::kGauge));
  if (labels.size() != m.spec->labels.size()) {
    throw std::invalid_argument("agx::Registry: wrong number of label values for " +
                                std::string(m.spec->name));
  }
  std::string key;
  BuildKey(labels, impl_->MaxBytes(m), &key);
  std::unique_lock lock(m.mu);
  auto it = m.series.find(key);
  if (it == m.series.end()) return;
  ++m.generation;
  if (key != m.overflow_key) {
    --m.limited;
    impl_->total_limited.fetch_sub(1, std::memory_order_relaxed);
  }
  m.series.erase(it);
}

std::span<const double> Registry::Buckets(MetricId id) const {
  if (static_cast<std::size_t>(id) >= kMetricCount) return {};
  return impl_->metrics[static_cast<std::size_t>(id)].bounds;
}

Snapshot Registry::Collect() const {
  Snapshot out;
  CollectInto(&out);
  return out;
}

void Registry::CollectInto(Snapshot* out) const {
  out->families.resize(kMetricCount);
  for (std::size_t mi = 0; mi < kMetricCount; ++mi) {
    const MetricState& m = impl_->metrics[mi];
    FamilySnapshot& f = out->families[mi];
    f.name.assign(m.spec->name);
    f.type = m.spec->type;
    f.help.assign(m.spec->help);
    f.label_names.resize(m.spec->labels.size());
    for (std::size_t i = 0; i < m.spec->labels.size(); ++i) f.label_names[i].assign(m.spec->labels[i]);
    f.bounds.assign(m.bounds.begin(), m.bounds.end());
    {
      // Held while reading values: RemoveGauge may otherwise free a series under us.
      std::shared_lock lock(m.mu);
      std::lock_guard sort_lock(m.sort_mu);
      if (m.sorted_generation != m.generation) {
        m.sorted.clear();
        m.sorted.reserve(m.series.size());
        for (const SeriesEntry& e : m.series) m.sorted.push_back(&e);
        std::sort(m.sorted.begin(), m.sorted.end(), [](const SeriesEntry* a, const SeriesEntry* b) {
          return KeyLess(a->first, b->first);
        });
        m.sorted_generation = m.generation;
      }
      f.series.resize(m.sorted.size());
      for (std::size_t i = 0; i < m.sorted.size(); ++i) {
        const auto& [key, s] = *m.sorted[i];
        SeriesSnapshot& ss = f.series[i];
        DecodeKey(key, f.label_names.size(), &ss.label_values);
        // Exemplars first: an exemplar is recorded after its update, so the values read
        // afterwards always include the observation an exemplar points to. families[mi]
        // always holds metric mi, so fields of the other types stay empty.
        switch (m.spec->type) {
          case MetricType::kCounter:
            s.c->ReadExemplar(&ss.exemplar);
            ss.value = s.c->Value();
            break;
          case MetricType::kGauge:
            ss.value = s.g->Value();
            break;
          case MetricType::kHistogram:
            s.h->ReadExemplars(&ss.bucket_exemplars);
            s.h->Read(&ss.bucket_counts, &ss.sum);
            break;
        }
      }
    }
  }
}

}  // namespace agx
