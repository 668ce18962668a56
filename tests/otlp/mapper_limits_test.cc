// What one request may map to (MapLimits): label values copied from attributes are cut near
// registry.label_value_max_bytes before they are copied, in every kind of line, the way the
// registry then cuts them; the lines of one request are bounded, and a request past the
// bound is marked whole (nothing of it is to be applied).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/utf8.h"
#include "otlp/mapped_testutil.h"

namespace agx::otlp {
namespace {

using namespace fixtures;  // NOLINT(google-build-using-namespace): the shared builders

constexpr std::size_t kMax = 128;  // registry.label_value_max_bytes (default)

// 100 KiB of a 3-byte character after one ASCII byte: no cut at kMax + 4 falls on a code
// point boundary by chance, so a cut that ignores UTF-8 leaves an invalid line.
std::string Long(char first) {
  std::string s(1, first);
  while (s.size() < 100 * 1024) s += "\xe2\x82\xac";  // €
  return s;
}

// Every string field of `line` that came from one of `originals` is a prefix of it, cut on a
// UTF-8 boundary, longer than kMax (so the registry still counts it as cut) by at most 4
// bytes, and the registry's cut of it equals its cut of the original.
void ExpectCut(const std::string& line, const std::vector<std::string>& originals,
               std::size_t want_cut_fields) {
  SCOPED_TRACE(line.substr(0, 200));
  EXPECT_LT(line.size(), 4 * (kMax + 4) + 300);
  const auto j = nlohmann::json::parse(line);
  std::size_t cut = 0;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) continue;
    const std::string v = value.get<std::string>();
    for (const std::string& o : originals) {
      if (v.empty() || o.compare(0, v.size(), v) != 0) continue;
      SCOPED_TRACE(key);
      ++cut;
      EXPECT_TRUE(IsValidUtf8(v));
      EXPECT_GT(v.size(), kMax);
      EXPECT_LE(v.size(), kMax + 4);
      EXPECT_EQ(TruncateUtf8(v, kMax), TruncateUtf8(o, kMax));
    }
  }
  EXPECT_EQ(cut, want_cut_fields);
}

TEST(MapperLimitsTest, LongLabelValuesAreCutBeforeTheyAreCopiedIntoEveryKindOfLine) {
  const std::string agent = Long('a'), model = Long('m'), tool = Long('t'), finish = Long('f');
  const Attributes resource = {{"service.name", Str(agent)}};
  Mapper mapper(Config("metrics"), kExporterStart);

  Span llm = MakeSpan("chat", {{"gen_ai.operation.name", Str("chat")},
                               {"gen_ai.request.model", Str(model)},
                               {"gen_ai.response.finish_reasons", Str(finish)}});
  Span tool_span = MakeSpan("execute_tool", {{"gen_ai.operation.name", Str("execute_tool")},
                                             {"gen_ai.tool.name", Str(tool)}});
  tool_span.span_id = Id<16>("00f067aa0ba902b8");
  Span run = MakeSpan("invoke_agent", {{"gen_ai.operation.name", Str("invoke_agent")}});
  run.span_id = Id<16>("00f067aa0ba902b9");
  const Lines spans = Map(mapper, SpanRequest(resource, {llm, tool_span, run}));
  ASSERT_EQ(spans.size(), 3u);
  ExpectCut(spans[0], {agent, model, finish}, 3);
  ExpectCut(spans[1], {agent, tool}, 2);
  ExpectCut(spans[2], {agent}, 1);

  const Lines logs = Map(
      mapper, LogRequest(resource, {MakeLog("claude_code.api_request", {{"model", Str(model)}}),
                                    MakeLog("claude_code.tool_result",
                                            {{"tool_name", Str(tool)}, {"success", Bool(true)}}),
                                    MakeLog("claude_code.tool_decision",
                                            {{"tool_name", Str(tool)},
                                             {"decision", Str("reject")},
                                             {"source", Str("user_reject")}})}));
  ASSERT_EQ(logs.size(), 3u);
  ExpectCut(logs[0], {agent, model}, 2);
  ExpectCut(logs[1], {agent, tool}, 2);
  ExpectCut(logs[2], {agent}, 1);  // an approval: the tool name is not copied

  const Lines usage =
      Map(mapper, MetricRequest(resource, {Sum("claude_code.cost.usage", 1,
                                               {Point(0.5, {{"model", Str(model)}})})}));
  ASSERT_EQ(usage.size(), 1u);
  ExpectCut(usage[0], {agent, model}, 2);
}

TEST(MapperLimitsTest, ValuesWithinTheLimitAndTheConfiguredLimitAreKeptAsTheyAre) {
  const std::string exact(kMax, 'x');
  const std::string four_more(kMax + 4, 'y');  // cut by the registry, not before
  Mapper mapper(Config(), kExporterStart);
  EXPECT_EQ(
      Map(mapper,
          SpanRequest({{"service.name", Str(exact)}},
                      {MakeSpan("execute_tool", {{"gen_ai.operation.name", Str("execute_tool")},
                                                 {"gen_ai.tool.name", Str(four_more)}})})),
      Lines{R"({"type":"tool_call","agent_id":")" + exact +
            R"(","ts":1795319953.8125,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",)"
            R"("span_id":"00f067aa0ba902b7","tool_name":")" +
            four_more + R"(","duration_ms":812.5,"status":"success"})"});

  // A larger registry.label_value_max_bytes keeps more.
  Mapper wide(Config(), kExporterStart, MapLimits{1000, std::size_t{64} << 20});
  const std::string agent = Long('a');
  const Lines lines = Map(
      wide,
      SpanRequest({{"service.name", Str(agent)}},
                  {MakeSpan("invoke_agent", {{"gen_ai.operation.name", Str("invoke_agent")}})}));
  ASSERT_EQ(lines.size(), 1u);
  const std::string got = nlohmann::json::parse(lines[0])["agent_id"];
  EXPECT_GT(got.size(), 1000u);
  EXPECT_LE(got.size(), 1004u);
}

// 200 tool spans whose agent id is 128 control characters: each line carries it escaped
// (6 bytes a character), so the lines outgrow a 64 KiB bound that the request itself fits.
ExportRequest ManyEscapedSpans(std::vector<std::string>* ids) {
  std::vector<Span> spans;
  ids->resize(200);
  for (std::size_t i = 0; i < ids->size(); ++i) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016zx", i + 1);
    (*ids)[i] = hex;
    Span s = MakeSpan("execute_tool", {{"gen_ai.operation.name", Str("execute_tool")},
                                       {"gen_ai.tool.name", Str("search")}});
    s.span_id = Id<16>((*ids)[i]);
    spans.push_back(s);
  }
  static const std::string kControl(kMax, '\x01');
  return SpanRequest({{"service.name", Str(kControl)}}, std::move(spans));
}

TEST(MapperLimitsTest, ARequestWhoseLinesPassTheBoundIsMarkedWholeAndCanBeMappedAgain) {
  std::vector<std::string> ids;
  const ExportRequest request = ManyEscapedSpans(&ids);
  Mapper small(Config(), kExporterStart, MapLimits{kMax, 64 * 1024});
  MappedBatch b;
  small.Map(request, &b);
  EXPECT_TRUE(b.too_large);
  EXPECT_TRUE(b.lines.empty());
  // Map stopped just past the bound (lines and span memory updates): one span more at most.
  const std::size_t bytes =
      b.buffer.size() + b.span_updates.size() * SpanMemory::kEncodedUpdateBytes;
  EXPECT_GT(bytes, 64u * 1024);
  EXPECT_LT(bytes, 64u * 1024 + 1024);
  EXPECT_LT(b.items, ids.size());
  small.span_memory().Rollback(b.span_updates);  // as OtlpIngest does: nothing was counted

  // Nothing of it stays reserved: the same spans sent again in requests within the bound
  // all count, none is a duplicate.
  std::size_t counted = 0;
  for (std::size_t first = 0; first < request.spans[0].scopes[0].items.size(); first += 20) {
    ExportRequest part = request;
    auto& items = part.spans[0].scopes[0].items;
    items.erase(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(first));
    items.resize(std::min<std::size_t>(items.size(), 20));
    b = MappedBatch{};
    small.Map(part, &b);
    ASSERT_FALSE(b.too_large);
    EXPECT_EQ(Dropped(b, DropReason::kDuplicate), 0u);
    small.span_memory().Commit(b.span_updates);
    counted += b.lines.size();
  }
  EXPECT_EQ(counted, ids.size());
}

}  // namespace
}  // namespace agx::otlp
