#pragma once
// Text pieces shared by the OpenMetrics and text writers: escaping, label pairs, integers,
// canonical bucket bounds. Internal to agx_exposition (not a seam). Functions append to a
// caller-owned buffer and are thread-safe; a BoundsText is confined to one writer call.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace agx::detail {

/// Appends `s` with `\` → `\\`, `"` → `\"` and LF → `\n` (label values, both formats).
/// Invalid UTF-8 bytes are written as U+FFFD so one bad value cannot fail a whole scrape.
void AppendEscapedLabelValue(std::string* out, std::string_view s);

/// Appends `s` with `\` → `\\` and LF → `\n` (HELP text, both formats), UTF-8 repaired
/// as above.
void AppendEscapedHelp(std::string* out, std::string_view s);

/// Appends `n1="v1",n2="v2"` without braces. Pairs beyond the shorter of the two vectors
/// are ignored (the snapshot keeps them aligned; a mismatch must not crash a scrape).
void AppendLabelPairs(std::string* out, const std::vector<std::string>& names,
                      const std::vector<std::string>& values);

/// Appends `{labels}` where `labels` came from AppendLabelPairs; nothing when empty.
void AppendLabelBlock(std::string* out, std::string_view labels);

/// Appends a family's header: `# HELP name help` (escaped; no line when `help` is empty),
/// then `# TYPE name type`.
void AppendFamilyHeader(std::string* out, std::string_view name, std::string_view help,
                        std::string_view type);

/// Appends `<name><suffix>{labels} ` (no braces when `labels` is empty): a sample up to its
/// value.
void AppendSampleName(std::string* out, std::string_view name, std::string_view suffix,
                      std::string_view labels);

/// Appends `<name>_bucket{labels,le="<le>"} <count>`, without the line's end.
void AppendBucketSample(std::string* out, std::string_view name, std::string_view labels,
                        std::string_view le, unsigned long long count);

/// Appends an unsigned integer in decimal.
void AppendUint(std::string* out, unsigned long long v);

/// The canonical `le` strings of one family's bounds, formatted once per family because
/// AppendCanonical is comparatively slow and every bound repeats for every series. Reused
/// across families so a warm writer allocates nothing. Not thread-safe (one per call).
class BoundsText {
 public:
  void Reset(const std::vector<double>& bounds);
  std::size_t size() const { return ends_.size(); }
  std::string_view operator[](std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(text_).substr(begin, ends_[i] - begin);
  }

 private:
  std::string text_;
  std::vector<std::size_t> ends_;
};

}  // namespace agx::detail
