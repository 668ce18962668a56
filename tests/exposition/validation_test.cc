// Strict validation of the writers' output with the ecosystem's own tools: the Python
// prometheus_client OpenMetrics parser (tests/tools/check_openmetrics.py) and promtool.
//
// promtool 2.42 `check metrics` reads its input with the text 0.0.4 parser
// (expfmt.TextParser via promlint), not the OpenMetrics parser: an exemplar is a parse
// error for it ("expected integer as timestamp, got \"#\""). So promtool gets the
// OpenMetrics output of the same snapshot with the exemplars removed, and the exemplars
// are checked by the Python OpenMetrics parser. promtool exits 1 on parse errors and 3 on
// lint problems; lint output is printed (it flags style choices and the text parser's
// misreading of OpenMetrics counters), only parse errors fail the test.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>

#include "catalog/metric_spec.h"
#include "common/utf8.h"
#include "exposition/exposition.h"
#include "exposition/process_metrics.h"
#include "exposition/test_snapshots.h"

namespace agx {
namespace {

constexpr char kPython[] = "/usr/bin/python3";
constexpr char kPromtool[] = "/usr/bin/promtool";

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Label values that stress escaping and parsing: quotes, backslashes, newlines, UTF-8,
// text that looks like an exemplar, and the empty string.
const std::vector<std::string>& NastyValues() {
  static const std::vector<std::string> values = {
      "planner",
      "say \"hi\" \\ back\\slash\nnew line \xc3\xbcn\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9 \xe2\x9c\x93 "
      "\xf0\x9f\x9a\x80",
      "} # {trace_id=\"x\"} 1",
      "",
      "ends with backslash \\",
      "literal \\n not a newline",
  };
  return values;
}

// Every catalogue family with two series (one plain, one with nasty label values; one
// series for unlabelled families), an
// exemplar wherever OpenMetrics allows one and a (to be ignored) exemplar on gauges, plus
// an extra counter series whose exemplar is over the limit, plus the process families.
Snapshot RichSnapshot() {
  Snapshot snap;
  int serial = 0;
  auto exemplar = [&serial](double value) {
    char trace[33];
    std::snprintf(trace, sizeof trace, "%032x", ++serial);
    return Exemplar{trace, serial % 2 ? fixtures::kSpanA : "", value,
                    1700000000.125 + serial};
  };
  const auto& nasty = NastyValues();
  for (const MetricSpec& spec : AllMetrics()) {
    FamilySnapshot f;
    f.name = spec.name;
    f.type = spec.type;
    f.help = spec.help;
    f.label_names.assign(spec.labels.begin(), spec.labels.end());
    f.bounds.assign(spec.buckets.begin(), spec.buckets.end());
    // Two series need a label to tell them apart.
    const int series_count = f.label_names.empty() ? 1 : 2;
    for (int s = 0; s < series_count; ++s) {
      SeriesSnapshot series;
      for (std::size_t i = 0; i < f.label_names.size(); ++i) {
        series.label_values.push_back(s == 0 ? "v" + std::to_string(i)
                                             : nasty[(i + 1) % nasty.size()]);
      }
      switch (spec.type) {
        case MetricType::kCounter:
          series.value = s == 0 ? 42 : 1e21;
          series.exemplar = exemplar(1);
          break;
        case MetricType::kGauge: {
          const double special[] = {std::nan(""), std::numeric_limits<double>::infinity()};
          series.value = special[s];
          series.exemplar = exemplar(1);  // must not be written
          break;
        }
        case MetricType::kHistogram: {
          std::uint64_t cumulative = 0;
          for (std::size_t b = 0; b <= f.bounds.size(); ++b) {
            cumulative += b + 1;
            series.bucket_counts.push_back(cumulative);
            // An observed value inside bucket b (le is inclusive).
            const double v = b < f.bounds.size() ? f.bounds[b] : f.bounds.back() + 1;
            series.bucket_exemplars.push_back(exemplar(v));
            series.sum += v * static_cast<double>(b + 1);
          }
          break;
        }
      }
      f.series.push_back(std::move(series));
    }
    if (spec.type == MetricType::kCounter && spec.labels.size() == 1) {
      SeriesSnapshot over = f.series[0];
      over.label_values[0] = "over_limit";
      over.exemplar = Exemplar{std::string(121, 'a'), "", 1, 0};  // 129 code points
      f.series.push_back(std::move(over));
    }
    snap.families.push_back(std::move(f));
  }
  AppendProcessMetrics(&snap);
  return snap;
}

struct Counts {
  int families = 0, samples = 0, exemplars = 0;
};

// What the Python parser must find: one sample per counter or gauge series, buckets + 2
// per histogram series, and every counter/bucket exemplar within the 128 limit.
Counts Expected(const Snapshot& snap, bool openmetrics) {
  Counts c;
  auto fits = [](const std::optional<Exemplar>& e) {
    if (!e || e->trace_id.empty()) return false;
    std::size_t n = 8 + CountCodePoints(e->trace_id);
    if (!e->span_id.empty()) n += 7 + CountCodePoints(e->span_id);
    return n <= 128;
  };
  for (const FamilySnapshot& f : snap.families) {
    if (f.series.empty()) continue;
    ++c.families;
    for (const SeriesSnapshot& s : f.series) {
      if (f.type == MetricType::kHistogram) {
        c.samples += static_cast<int>(s.bucket_counts.size()) + 2;
        for (const auto& e : s.bucket_exemplars) c.exemplars += openmetrics && fits(e);
      } else {
        ++c.samples;
        c.exemplars += openmetrics && f.type == MetricType::kCounter && fits(s.exemplar);
      }
    }
  }
  return c;
}

std::string CountsLine(const Counts& c) {
  return "families=" + std::to_string(c.families) + " samples=" + std::to_string(c.samples) +
         " exemplars=" + std::to_string(c.exemplars);
}

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agx_exposition_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  static std::string Checker() {
    return std::string(kPython) + " " AGX_SOURCE_DIR "/tests/tools/check_openmetrics.py";
  }

  // promtool must parse the file; lint findings are reported, not failed on.
  static void PromtoolCheck(const std::string& path, const char* what) {
    ASSERT_EQ(::access(kPromtool, X_OK), 0)
        << kPromtool << " not found: install the Debian prometheus package "
        << "(apt-get install prometheus) to run the promtool checks";
    const CommandResult r = RunCommand(std::string(kPromtool) + " check metrics < " + path);
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3)
        << "promtool could not parse the " << what << " output (exit " << r.exit_code
        << "):\n" << r.output;
    if (!r.output.empty()) {
      std::cout << "promtool lint on the " << what << " output (exit " << r.exit_code
                << "):\n" << r.output;
    }
  }

  std::string dir_;
};

TEST_F(ValidationTest, PythonOpenMetricsParserAcceptsRichSnapshot) {
  ASSERT_EQ(::access(kPython, X_OK), 0) << kPython << " not found";
  const Snapshot snap = RichSnapshot();
  std::string om;
  WriteOpenMetrics(snap, &om);
  const CommandResult r = RunCommand(Checker() + " " + WriteFile("rich.om.txt", om));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, CountsLine(Expected(snap, true)) + "\n");
}

TEST_F(ValidationTest, PythonTextParserAcceptsRichSnapshot) {
  ASSERT_EQ(::access(kPython, X_OK), 0) << kPython << " not found";
  const Snapshot snap = RichSnapshot();
  std::string text;
  WriteText(snap, &text);
  const CommandResult r = RunCommand(Checker() + " --text " + WriteFile("rich.txt", text));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, CountsLine(Expected(snap, false)) + "\n");
}

// The checker itself must fail on what Prometheus rejects, or the tests above prove nothing.
TEST_F(ValidationTest, PythonCheckerRejectsBrokenExpositions) {
  ASSERT_EQ(::access(kPython, X_OK), 0) << kPython << " not found";
  const std::string trace = fixtures::kTraceA;
  struct Case {
    const char* name;
    std::string body;
  };
  const Case cases[] = {
      {"missing EOF", "# TYPE g gauge\ng 1\n"},
      {"exemplar on gauge", "# TYPE g gauge\ng 1 # {trace_id=\"" + trace + "\"} 1\n# EOF\n"},
      {"exemplar on _count",
       "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1 # {trace_id=\"" + trace +
           "\"} 1\nh_sum 1\n# EOF\n"},
      {"129 code point exemplar",
       "# TYPE c counter\nc_total 1 # {trace_id=\"" + std::string(121, 'a') + "\"} 1\n# EOF\n"},
      {"short trace_id", "# TYPE c counter\nc_total 1 # {trace_id=\"abc\"} 1\n# EOF\n"},
      {"TYPE with _total", "# TYPE c_total counter\nc_total 1\n# EOF\n"},
      {"no +Inf bucket", "# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\nh_count 1\nh_sum 1\n# EOF\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const CommandResult r = RunCommand(Checker() + " " + WriteFile("bad.txt", c.body));
    EXPECT_EQ(r.exit_code, 1) << r.output;
  }
}

TEST_F(ValidationTest, PromtoolParsesTextOutput) {
  std::string text;
  WriteText(RichSnapshot(), &text);
  PromtoolCheck(WriteFile("rich.txt", text), "text 0.0.4");
}

TEST_F(ValidationTest, PromtoolParsesOpenMetricsOutputWithoutExemplars) {
  Snapshot snap = RichSnapshot();
  for (FamilySnapshot& f : snap.families) {
    for (SeriesSnapshot& s : f.series) {
      s.exemplar.reset();
      for (auto& e : s.bucket_exemplars) e.reset();
    }
  }
  std::string om;
  WriteOpenMetrics(snap, &om);
  PromtoolCheck(WriteFile("rich-noexemplars.om.txt", om), "OpenMetrics (exemplars removed)");
}

}  // namespace
}  // namespace agx
