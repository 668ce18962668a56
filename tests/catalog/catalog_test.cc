#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <set>
#include <string>

#include "catalog/metric_spec.h"

namespace agx {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

TEST(CatalogTest, IdsIndexTheCatalogue) {
  ASSERT_EQ(AllMetrics().size(), kMetricCount);
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    const MetricSpec& m = AllMetrics()[i];
    SCOPED_TRACE(m.name);
    EXPECT_EQ(static_cast<std::size_t>(m.id), i);
    EXPECT_EQ(&Spec(m.id), &m);
    EXPECT_EQ(FindMetric(m.name), &m);
  }
  EXPECT_EQ(FindMetric("no_such_metric"), nullptr);
}

TEST(CatalogTest, MetricNamesAreValidAndPrefixed) {
  const std::regex name_re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  for (const MetricSpec& m : AllMetrics()) {
    SCOPED_TRACE(m.name);
    EXPECT_TRUE(std::regex_match(std::string(m.name), name_re));
    EXPECT_EQ(m.name.find(':'), std::string_view::npos);  // colons are for recording rules
    if (m.layer == Layer::kSelf) {
      EXPECT_TRUE(m.name.starts_with("agent_exporter_"));
    } else {
      EXPECT_TRUE(m.name.starts_with("agent_"));
      EXPECT_FALSE(m.name.starts_with("agent_exporter_"));
    }
    EXPECT_FALSE(m.help.empty());
  }
}

TEST(CatalogTest, OnlyCountersEndInTotal) {
  for (const MetricSpec& m : AllMetrics()) {
    SCOPED_TRACE(m.name);
    EXPECT_EQ(EndsWith(m.name, "_total"), m.type == MetricType::kCounter);
    // Suffixes the exposition formats reserve for generated samples.
    for (std::string_view reserved : {"_bucket", "_count", "_sum", "_created"}) {
      EXPECT_FALSE(EndsWith(m.name, reserved)) << reserved;
    }
  }
}

TEST(CatalogTest, NamesAreUniqueAlsoWithoutTheTotalSuffix) {
  std::set<std::string> names;
  for (const MetricSpec& m : AllMetrics()) {
    std::string_view base = m.name;
    if (m.type == MetricType::kCounter) base.remove_suffix(std::string_view("_total").size());
    EXPECT_TRUE(names.emplace(base).second) << m.name;
  }
  // Histogram sample names must not clash with another family either.
  for (const MetricSpec& m : AllMetrics()) {
    if (m.type != MetricType::kHistogram) continue;
    for (const char* suffix : {"_bucket", "_count", "_sum"}) {
      EXPECT_EQ(names.count(std::string(m.name) + suffix), 0u) << m.name << suffix;
    }
  }
}

TEST(CatalogTest, HistogramsHaveAscendingFiniteBucketsAndOthersNone) {
  for (const MetricSpec& m : AllMetrics()) {
    SCOPED_TRACE(m.name);
    if (m.type != MetricType::kHistogram) {
      EXPECT_TRUE(m.buckets.empty());
      continue;
    }
    ASSERT_FALSE(m.buckets.empty());
    for (std::size_t i = 0; i < m.buckets.size(); ++i) {
      EXPECT_TRUE(std::isfinite(m.buckets[i])) << i;
      if (i > 0) {
        EXPECT_LT(m.buckets[i - 1], m.buckets[i]) << i;
      }
    }
  }
}

TEST(CatalogTest, LabelNamesAreValidAndUnique) {
  const std::regex label_re("[a-zA-Z_][a-zA-Z0-9_]*");
  for (const MetricSpec& m : AllMetrics()) {
    SCOPED_TRACE(m.name);
    std::set<std::string_view> seen;
    for (std::string_view l : m.labels) {
      EXPECT_TRUE(std::regex_match(std::string(l), label_re)) << l;
      EXPECT_FALSE(l.starts_with("__")) << l;  // reserved for internal use
      EXPECT_TRUE(seen.insert(l).second) << "duplicate " << l;
      if (m.type == MetricType::kHistogram) {
        EXPECT_NE(l, "le");
      }
    }
  }
}

TEST(CatalogTest, ExemplarsOnlyOnCountersAndHistograms) {
  for (const MetricSpec& m : AllMetrics()) {
    SCOPED_TRACE(m.name);
    if (m.exemplars) {
      EXPECT_NE(m.type, MetricType::kGauge);
    }
  }
}

TEST(CatalogTest, TypeAndLayerNames) {
  EXPECT_EQ(TypeName(MetricType::kCounter), "counter");
  EXPECT_EQ(TypeName(MetricType::kGauge), "gauge");
  EXPECT_EQ(TypeName(MetricType::kHistogram), "histogram");
  EXPECT_EQ(LayerName(Layer::kL1), "L1");
  EXPECT_EQ(LayerName(Layer::kL4), "L4");
  EXPECT_EQ(LayerName(Layer::kSelf), "self");
}

}  // namespace
}  // namespace agx
