#include <gtest/gtest.h>

#include <string_view>

#include "exposition/exposition.h"

namespace agx {
namespace {

constexpr auto kOm = ExpositionFormat::kOpenMetrics;
constexpr auto kText = ExpositionFormat::kText;

TEST(NegotiateTest, Table) {
  struct Case {
    const char* name;
    std::string_view accept;
    ExpositionFormat want;
  };
  const Case cases[] = {
      {"prometheus 2.42",
       "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
       "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
       kOm},
      {"prometheus 2.42 native histograms",
       "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
       "encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,"
       "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
       "*/*;q=0.1",
       kOm},
      {"empty", "", kText},
      {"blank", "  \t ", kText},
      {"any", "*/*", kText},
      {"text plain", "text/plain", kText},
      {"text 0.0.4", "text/plain;version=0.0.4", kText},
      {"json", "application/json", kText},
      {"openmetrics bare", "application/openmetrics-text", kOm},
      {"openmetrics 1.0.0", "application/openmetrics-text; version=1.0.0", kOm},
      {"openmetrics 0.0.1 only", "application/openmetrics-text;version=0.0.1", kOm},
      {"openmetrics with charset",
       "application/openmetrics-text;version=1.0.0;charset=utf-8", kOm},
      {"openmetrics unknown version only", "application/openmetrics-text;version=2.0.0",
       kText},
      {"openmetrics q=0", "application/openmetrics-text;q=0", kText},
      {"openmetrics q=0.000 with text", "application/openmetrics-text;q=0.000,text/plain",
       kText},
      {"openmetrics q=0 vs any", "application/openmetrics-text;q=0,*/*;q=0.1", kText},
      {"tiny q wins when nothing else", "application/openmetrics-text;q=0.001", kOm},
      {"text refused", "text/plain;q=0,application/openmetrics-text;q=0.1", kOm},
      {"text preferred", "application/openmetrics-text;q=0.3,text/plain;q=0.5", kText},
      {"tie goes to openmetrics", "application/openmetrics-text;q=0.5,text/plain;q=0.5",
       kOm},
      {"order does not matter", "text/plain;q=0.9,application/openmetrics-text", kOm},
      {"any preferred", "application/openmetrics-text;q=0.2,*/*;q=0.5", kText},
      {"text/* preferred", "application/openmetrics-text;q=0.2,text/*;q=0.5", kText},
      {"most specific text range decides",
       "application/openmetrics-text;q=0.3,text/plain;q=0.2,*/*;q=0.5", kOm},
      {"best openmetrics entry counts",
       "application/openmetrics-text;version=1.0.0;q=0.1,"
       "application/openmetrics-text;version=0.0.1;q=0.9,text/plain;q=0.5",
       kOm},
      {"case insensitive",
       "APPLICATION/OpenMetrics-Text; Version=1.0.0; Q=0.9, TEXT/PLAIN; q=0.5", kOm},
      {"case insensitive text wins",
       "Application/OpenMetrics-Text;Q=0.4,Text/Plain;Q=0.6", kText},
      {"whitespace and tabs",
       "  application/openmetrics-text \t;  version=1.0.0 ;\tq=1 ,\ttext/plain ; q=0.5 ",
       kOm},
      {"q with three decimals", "application/openmetrics-text;q=0.501,text/plain;q=0.5",
       kOm},
      {"q=1.000", "text/plain;q=0.5,application/openmetrics-text;q=1.000", kOm},
      {"malformed q ignored", "application/openmetrics-text;q=abc", kText},
      {"q above 1 ignored", "application/openmetrics-text;q=1.5", kText},
      {"q with four decimals ignored", "application/openmetrics-text;q=0.5000", kText},
      {"parameter without value ignored", "application/openmetrics-text;version", kText},
      {"garbage", "garbage", kText},
      {"only commas", ",,,", kText},
      {"empty elements skipped", ",application/openmetrics-text,;,,", kOm},
      {"no subtype", "application/", kText},
      {"space inside type", "application /openmetrics-text", kText},
      {"comma inside quoted parameter",
       "text/plain;ext=\"a, application/openmetrics-text;x=1\"", kText},
      {"quoted version", "application/openmetrics-text;version=\"1.0.0\"", kOm},
      {"application/* is not openmetrics", "application/*", kText},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Negotiate(c.accept), c.want) << c.accept;
  }
}

TEST(NegotiateTest, ContentTypes) {
  EXPECT_EQ(ContentType(kOm), "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_EQ(ContentType(kText), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace
}  // namespace agx
