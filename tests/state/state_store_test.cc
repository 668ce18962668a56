#include "state/state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "state/temp_dir.h"

namespace agx {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;
using testing::TempDir;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Exemplar Ex(double v, double ts) {
  return Exemplar{"0123456789abcdef0123456789abcdef", "fedcba9876543210", v, ts};
}

PersistedState RichState() {
  PersistedState s;
  s.saved_at = 1700000000.123456;
  s.wal_seq = (1ull << 63) + 5;

  FamilySnapshot counter{"agent_llm_calls_total", MetricType::kCounter, "LLM calls.",
                         {"agent_id", "model"}, {}, {}};
  SeriesSnapshot c1;
  c1.label_values = {"planner", "gpt-4o"};
  c1.value = 9007199254740991.0;  // 2^53 - 1
  c1.exemplar = Ex(1, 1700000000.5);
  SeriesSnapshot c2;
  c2.label_values = {"エージェント 🤖", "quote\" back\\slash\nnewline\ttab\x01"};
  c2.value = 0.1;
  counter.series = {c1, c2};

  FamilySnapshot gauge{"agent_task_completion_rate", MetricType::kGauge, "Rate; \"quoted\" help ✓",
                       {"agent_id"}, {}, {}};
  for (double v : {kNaN, kInf, -kInf, -0.0, 5e-324, 1e308, 2.2250738585072014e-308,
                   0.30000000000000004, 123456789012345678.0}) {
    SeriesSnapshot g;
    g.label_values = {"a" + std::to_string(gauge.series.size())};
    g.value = v;
    gauge.series.push_back(g);
  }

  FamilySnapshot hist{"agent_tool_duration_seconds", MetricType::kHistogram, "Tool time.",
                      {"tool"}, {0.005, 0.1, 1, 2.5}, {}};
  SeriesSnapshot h;
  h.label_values = {"search"};
  h.bucket_counts = {1, (1ull << 53) + 1, (1ull << 53) + 1, (1ull << 53) + 2,
                     std::numeric_limits<std::uint64_t>::max()};
  h.sum = 12345.678901234567;
  h.bucket_exemplars = {Ex(0.004, 1700000001), std::nullopt, Ex(0.5, 0), std::nullopt,
                        Ex(kInf, 1700000002.25)};
  SeriesSnapshot h_empty;  // a histogram without exemplars
  h_empty.label_values = {""};
  h_empty.bucket_counts = {0, 0, 0, 0, 0};
  hist.series = {h, h_empty};

  FamilySnapshot no_labels{"agent_exporter_build_info", MetricType::kGauge, "", {}, {}, {}};
  SeriesSnapshot one;
  one.value = 1;
  no_labels.series = {one};
  s.metrics.families = {counter, gauge, hist, no_labels,
                        FamilySnapshot{"empty_family_total", MetricType::kCounter, "h", {"x"}, {}, {}}};

  s.files = {{"/var/log/agents/événements.jsonl", 2049, std::numeric_limits<std::uint64_t>::max(),
              (1ull << 53) + 1},
             {"/tmp/b.jsonl", 0, 1, 0}};
  s.windows.slot_ms = 60000;
  WindowSnapshot::Key k{"planner", "research", {}};
  for (std::int64_t i = 0; i < 60; ++i) {
    k.slots.push_back({28333300 + i, i * 3, i, 0, 0, 0});
  }
  WindowSnapshot::Key cost{"planner", "", {}};
  cost.slots.push_back({-7, 4, 0, 3, 0.1 + 0.2, kNaN});
  cost.slots.push_back({std::numeric_limits<std::int64_t>::min(),
                        std::numeric_limits<std::int64_t>::max(), 0, 1, 1e-300, kInf});
  s.windows.completion = {k};
  s.windows.cost = {cost, WindowSnapshot::Key{"coder", "", {}}};
  return s;
}

// Visits every double of a state in a fixed order.
void ForEachDouble(PersistedState& s, const std::function<void(double&)>& fn) {
  fn(s.saved_at);
  auto ex = [&](std::optional<Exemplar>& e) {
    if (e) {
      fn(e->value);
      fn(e->timestamp);
    }
  };
  for (auto& f : s.metrics.families) {
    for (auto& b : f.bounds) fn(b);
    for (auto& se : f.series) {
      fn(se.value);
      fn(se.sum);
      ex(se.exemplar);
      for (auto& e : se.bucket_exemplars) ex(e);
    }
  }
  for (auto* keys : {&s.windows.completion, &s.windows.cost}) {
    for (auto& k : *keys) {
      for (auto& sl : k.slots) {
        fn(sl.task_cost_sum);
        fn(sl.llm_cost);
      }
    }
  }
}

// Equal field by field, with doubles compared bit for bit (any NaN equals any NaN).
void ExpectSameState(PersistedState want, PersistedState got) {
  std::vector<double> a, b;
  ForEachDouble(want, [&](double& d) { a.push_back(d); d = 0; });
  ForEachDouble(got, [&](double& d) { b.push_back(d); d = 0; });
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      EXPECT_TRUE(std::isnan(b[i])) << "double #" << i << " got " << b[i];
    } else {
      EXPECT_EQ(std::memcmp(&a[i], &b[i], sizeof(double)), 0)
          << "double #" << i << " want " << a[i] << " got " << b[i];
    }
  }
  EXPECT_EQ(want.version, got.version);
  EXPECT_EQ(want.wal_seq, got.wal_seq);
  EXPECT_EQ(want.files, got.files);
  EXPECT_EQ(want.windows, got.windows);
  EXPECT_EQ(want.annex, got.annex);
  ASSERT_EQ(want.metrics.families.size(), got.metrics.families.size());
  for (std::size_t i = 0; i < want.metrics.families.size(); ++i) {
    EXPECT_EQ(want.metrics.families[i], got.metrics.families[i]) << want.metrics.families[i].name;
  }
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

PersistedState MustLoad(const StateStore& store) {
  auto r = store.Load();
  EXPECT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r.ok() && r->has_value());
  return r.ok() && r->has_value() ? **r : PersistedState{};
}

TEST(StateStoreTest, RichStateRoundTripsExactly) {
  TempDir dir;
  StateStore store(dir.File("state"));
  ASSERT_TRUE(store.Init().ok());
  PersistedState s = RichState();
  auto st = store.Save(s);
  ASSERT_TRUE(st.ok()) << st.error();
  ExpectSameState(s, MustLoad(store));
  // Saved compactly, with non-finite values as strings.
  std::string text = ReadText(dir.File("state/state.json"));
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_THAT(text, HasSubstr("\"NaN\""));
  EXPECT_THAT(text, HasSubstr("\"+Inf\""));
  EXPECT_THAT(text, HasSubstr("\"-Inf\""));
  EXPECT_THAT(text, HasSubstr("18446744073709551615"));
  EXPECT_FALSE(std::filesystem::exists(dir.File("state/state.json.tmp")));
}

TEST(StateStoreTest, RandomDoublesRoundTripBitExactly) {
  TempDir dir;
  StateStore store(dir.path());
  std::mt19937_64 rng(42);
  PersistedState s;
  FamilySnapshot f{"g", MetricType::kGauge, "", {}, {}, {}};
  SeriesSnapshot se;
  s.windows.cost.push_back({});
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    double small = std::ldexp(static_cast<double>(bits >> 11), -53 - i % 40);
    s.windows.cost[0].slots.push_back({i, 1, 0, 1, d, small});
  }
  f.series.push_back(se);
  s.metrics.families.push_back(f);
  ASSERT_TRUE(store.Save(s).ok());
  ExpectSameState(s, MustLoad(store));
}

TEST(StateStoreTest, AnnexRoundTripsAndIsOptional) {
  TempDir dir;
  StateStore store(dir.path());
  PersistedState s = RichState();
  s.annex = "00f067aa0ba902b7000000000000000010deadbeef";
  ASSERT_TRUE(store.Save(s).ok());
  ExpectSameState(s, MustLoad(store));
  // A state written before the annex existed has none: it loads with an empty one.
  s.annex.clear();
  ASSERT_TRUE(store.Save(s).ok());
  EXPECT_THAT(ReadText(dir.File("state.json")), Not(HasSubstr("annex")));
  EXPECT_EQ(MustLoad(store).annex, "");
}

TEST(StateStoreTest, MissingStateIsNullopt) {
  TempDir dir;
  auto r = StateStore(dir.File("never-created")).Load();
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r->has_value());
}

TEST(StateStoreTest, UnreadableStateIsAnErrorNamingTheFileAndProblem) {
  TempDir dir;
  StateStore store(dir.path());
  ASSERT_TRUE(store.Save(RichState()).ok());
  const std::string path = dir.File("state.json");
  const std::string good = ReadText(path);
  const json doc = json::parse(good);
  auto edit = [&](const std::function<void(json&)>& fn) {
    json d = doc;
    fn(d);
    return d.dump();
  };
  struct Case {
    std::string name;
    std::string text;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"empty file", "", "is empty"},
      {"truncated", good.substr(0, good.size() / 2), "invalid JSON"},
      {"trailing garbage", good + "}", "invalid JSON"},
      {"not an object", "[1,2,3]", "expected an object"},
      {"unsupported version", edit([](json& d) { d["version"] = 2; }), "unsupported version 2"},
      {"missing wal_seq", edit([](json& d) { d.erase("wal_seq"); }), "missing field \"wal_seq\""},
      {"negative wal_seq", edit([](json& d) { d["wal_seq"] = -1; }), "wal_seq: expected a non-negative"},
      {"value is text",
       edit([](json& d) { d["metrics"]["families"][1]["series"][0]["value"] = "lots"; }),
       "metrics.families[1].series[0].value: expected a number"},
      {"bad metric type", edit([](json& d) { d["metrics"]["families"][0]["type"] = "summary"; }),
       "unknown metric type \"summary\""},
      {"fractional bucket count",
       edit([](json& d) { d["metrics"]["families"][2]["series"][0]["bucket_counts"][1] = 1.5; }),
       "metrics.families[2].series[0].bucket_counts[1]: expected a non-negative integer"},
      {"label count mismatch",
       edit([](json& d) { d["metrics"]["families"][0]["series"][0]["label_values"].push_back("x"); }),
       "3 label values for 2 label names"},
      {"bucket count mismatch",
       edit([](json& d) { d["metrics"]["families"][2]["bounds"].push_back(5.0); }),
       "bucket counts for 5 bounds"},
      {"file offset missing", edit([](json& d) { d["files"][1].erase("offset"); }),
       "files[1]: missing field \"offset\""},
      {"slot id out of range",
       edit([](json& d) { d["windows"]["cost"][0]["slots"][1]["id"] = 18446744073709551615ull; }),
       "windows.cost[0].slots[1].id: integer out of range"},
      {"windows missing", edit([](json& d) { d.erase("windows"); }), "missing field \"windows\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    WriteText(path, c.text);
    auto r = store.Load();
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error(), HasSubstr(path));
    EXPECT_THAT(r.error(), HasSubstr(c.want));
  }
}

TEST(StateStoreTest, LeftoverTmpFromACrashIsIgnored) {
  TempDir dir;
  StateStore store(dir.path());
  PersistedState a = RichState();
  ASSERT_TRUE(store.Save(a).ok());
  // A crash mid-Save leaves a partial state.json.tmp behind.
  PersistedState b = a;
  b.wal_seq = 7;
  std::string partial = ReadText(dir.File("state.json")).substr(0, 100);
  WriteText(dir.File("state.json.tmp"), partial);
  ExpectSameState(a, MustLoad(store));
  // The next Save replaces it.
  ASSERT_TRUE(store.Save(b).ok());
  ExpectSameState(b, MustLoad(store));
  EXPECT_FALSE(std::filesystem::exists(dir.File("state.json.tmp")));
}

TEST(StateStoreTest, FailedSaveKeepsTheOldState) {
  TempDir dir;
  StateStore store(dir.path());
  PersistedState a = RichState();
  ASSERT_TRUE(store.Save(a).ok());
  // The temporary file cannot be written (a directory is in its way): Save fails cleanly.
  std::filesystem::create_directory(dir.File("state.json.tmp"));
  PersistedState b = a;
  b.wal_seq = 99;
  auto st = store.Save(b);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error(), HasSubstr("state.json.tmp"));
  ExpectSameState(a, MustLoad(store));
}

TEST(StateStoreTest, InconsistentStateIsNotSaved) {
  TempDir dir;
  StateStore store(dir.path());
  PersistedState a = RichState();
  ASSERT_TRUE(store.Save(a).ok());
  PersistedState bad = a;
  bad.metrics.families[2].series[0].bucket_counts.pop_back();
  auto st = store.Save(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error(), HasSubstr("agent_tool_duration_seconds"));
  ExpectSameState(a, MustLoad(store));
}

TEST(StateStoreTest, InvalidUtf8IsReplacedNotFatal) {
  TempDir dir;
  StateStore store(dir.path());
  PersistedState s;
  s.files = {{"/logs/\xff\xfe.jsonl", 1, 2, 3}};
  ASSERT_TRUE(store.Save(s).ok());
  PersistedState got = MustLoad(store);
  ASSERT_EQ(got.files.size(), 1u);
  EXPECT_EQ(got.files[0].path, "/logs/\xEF\xBF\xBD\xEF\xBF\xBD.jsonl");
  EXPECT_EQ(got.files[0].offset, 3u);
}

TEST(StateStoreTest, InitCreatesTheDirAndRejectsAFile) {
  TempDir dir;
  EXPECT_TRUE(StateStore(dir.File("a/b/c")).Init().ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir.File("a/b/c")));
  WriteText(dir.File("file"), "x");
  auto st = StateStore(dir.File("file")).Init();
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error(), HasSubstr("file"));
}

TEST(StateStoreTest, TenThousandSeriesRoundTrip) {
  TempDir dir;
  StateStore store(dir.path());
  PersistedState s;
  FamilySnapshot hist{"agent_model_latency_seconds", MetricType::kHistogram, "Latency.",
                      {"agent_id", "model"}, {0.1, 0.5, 1, 2.5, 5, 10}, {}};
  FamilySnapshot counter{"agent_tokens_total", MetricType::kCounter, "Tokens.",
                         {"agent_id", "model", "type"}, {}, {}};
  for (int i = 0; i < 5000; ++i) {
    SeriesSnapshot h;
    h.label_values = {"agent-" + std::to_string(i), "model-" + std::to_string(i % 7)};
    for (std::uint64_t b = 0; b < 7; ++b) h.bucket_counts.push_back(b * 1000 + i);
    h.sum = i * 1.37;
    h.bucket_exemplars.resize(7);
    h.bucket_exemplars[i % 7] = Ex(i * 0.01, 1700000000 + i);
    hist.series.push_back(h);
    SeriesSnapshot c;
    c.label_values = {"agent-" + std::to_string(i), "m", i % 2 ? "input" : "output"};
    c.value = i * 1234.5;
    c.exemplar = Ex(3, 1700000000.001 * i);
    counter.series.push_back(c);
  }
  s.metrics.families = {hist, counter};
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(store.Save(s).ok());
  auto t1 = std::chrono::steady_clock::now();
  PersistedState got = MustLoad(store);
  auto t2 = std::chrono::steady_clock::now();
  using ms = std::chrono::milliseconds;
  // Reported, not asserted: performance is measured elsewhere.
  RecordProperty("save_ms", static_cast<int>(std::chrono::duration_cast<ms>(t1 - t0).count()));
  RecordProperty("load_ms", static_cast<int>(std::chrono::duration_cast<ms>(t2 - t1).count()));
  std::printf("10k series: save %lld ms, load %lld ms, %llu bytes\n",
              static_cast<long long>(std::chrono::duration_cast<ms>(t1 - t0).count()),
              static_cast<long long>(std::chrono::duration_cast<ms>(t2 - t1).count()),
              static_cast<unsigned long long>(std::filesystem::file_size(dir.File("state.json"))));
  ExpectSameState(s, got);
}

}  // namespace
}  // namespace agx
