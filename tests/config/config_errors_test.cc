// ParseConfig / LoadConfig on invalid input: each error kind with its exact position
// (1-based line:column), several errors at once, YAML syntax errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/temp_dir.h"

namespace agx {
namespace {

struct Case {
  const char* name;
  const char* yaml;
  const char* want;  // the whole error string
};

// Columns are easiest to check against the YAML with a ruler:
//            1111111111222222222233333333334444444444
//   1234567890123456789012345678901234567890123456789
const Case kCases[] = {
    {"unknown top-level key", "webb:\n  threads: 1\n",
     "c.yml:1:1: unknown key webb (known keys: web, ingest, state, registry, pricing, alerts, "
     "dashboards, alertmanager, otlp)"},
    {"unknown nested key", "web:\n  threads: 2\n  listen_adress: \":1\"\n",
     "c.yml:3:3: unknown key web.listen_adress (known keys in web: listen_address, "
     "telemetry_path, max_body_bytes, max_decompressed_bytes, bearer_token_file, threads, "
     "request_timeout, idle_timeout, max_concurrent_ingest)"},
    {"unknown claude_code_usage", "otlp:\n  claude_code_usage: both\n",
     "c.yml:2:22: otlp.claude_code_usage: must be \"logs\" or \"metrics\", got \"both\""},
    {"empty agent id attributes", "otlp:\n  agent_id_attributes: []\n",
     "c.yml:2:24: otlp.agent_id_attributes: needs at least one attribute key"},
    {"bad otlp listen address", "otlp:\n  listen_address: \"4318\"\n",
     "c.yml:2:19: otlp.listen_address: invalid listen address \"4318\": want HOST:PORT or :PORT"},
    {"unknown key in a price", "pricing:\n  - {match: a, input: 1, output: 2, cached: 1}\n",
     "c.yml:2:37: unknown key pricing[0].cached (known keys in pricing[0]: match, input, "
     "output, cache_read, cache_write)"},
    {"duplicate key", "web:\n  threads: 1\n  threads: 2\n",
     "c.yml:3:3: duplicate key web.threads (first at line 2)"},
    {"string for an integer", "web:\n  threads: eight\n",
     "c.yml:2:12: web.threads: expected an integer, got \"eight\""},
    {"quoted integer", "web:\n  threads: \"8\"\n",
     "c.yml:2:12: web.threads: expected an integer, got the quoted string \"8\""},
    {"fraction for an integer", "registry:\n  series_limit: 1.5\n",
     "c.yml:2:17: registry.series_limit: expected an integer, got \"1.5\""},
    {"integer overflow", "registry:\n  series_limit: 99999999999999999999\n",
     "c.yml:2:17: registry.series_limit: must be between 1 and 9223372036854775807, got "
     "99999999999999999999"},
    {"control characters are escaped", "ingest:\n  start_at: \"a\\tb\\x01\"\n",
     "c.yml:2:13: ingest.start_at: must be \"beginning\" or \"end\", got \"a\\x09b\\x01\""},
    {"long values are cut",
     "ingest:\n  start_at: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
     "c.yml:2:13: ingest.start_at: must be \"beginning\" or \"end\", got "
     "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\""},
    {"integer out of range", "web:\n  threads: 0\n",
     "c.yml:2:12: web.threads: must be between 1 and 1024, got 0"},
    {"list for a scalar", "web:\n  threads: [1]\n",
     "c.yml:2:12: web.threads: expected an integer, got a list"},
    {"scalar for a list", "ingest:\n  files: a.jsonl\n",
     "c.yml:2:10: ingest.files: expected a list, got \"a.jsonl\""},
    {"scalar for a section", "web: 5\n", "c.yml:1:6: web: expected a mapping, got \"5\""},
    {"list at the top", "- web\n", "c.yml:1:1: expected a mapping, got a list"},
    {"mapping for a string", "state:\n  dir: {a: 1}\n",
     "c.yml:2:8: state.dir: expected a string, got a mapping"},
    {"empty file entry", "ingest:\n  files: [a, \"\"]\n",
     "c.yml:2:14: ingest.files[1]: must not be empty"},
    {"duplicate file entry", "ingest:\n  files:\n    - a\n    - b\n    - a\n",
     "c.yml:5:7: ingest.files[2]: duplicate entry \"a\" (first at line 3)"},
    {"negative size", "web:\n  max_body_bytes: -1\n",
     "c.yml:2:19: web.max_body_bytes: expected a size such as 1048576, 512KiB or 8MiB, got "
     "\"-1\""},
    {"bad size unit", "ingest:\n  max_line_bytes: 1Mb\n",
     "c.yml:2:19: ingest.max_line_bytes: expected a size such as 1048576, 512KiB or 8MiB, got "
     "\"1Mb\""},
    {"zero size", "ingest:\n  max_line_bytes: 0\n",
     "c.yml:2:19: ingest.max_line_bytes: must be greater than 0"},
    {"depth out of range", "ingest:\n  max_json_depth: 0\n",
     "c.yml:2:19: ingest.max_json_depth: must be between 1 and 1000, got 0"},
    {"otlp depth out of range", "otlp:\n  max_depth: 5000\n",
     "c.yml:2:14: otlp.max_depth: must be between 1 and 1000, got 5000"},
    {"no open files", "ingest:\n  max_open_files: 0\n",
     "c.yml:2:19: ingest.max_open_files: must be between 1 and 1048576, got 0"},
    {"open files not a number", "ingest:\n  max_open_files: many\n",
     "c.yml:2:19: ingest.max_open_files: expected an integer, got \"many\""},
    {"zero scan interval", "ingest:\n  scan_interval: 0s\n",
     "c.yml:2:18: ingest.scan_interval: must be greater than 0"},
    {"zero duration", "ingest:\n  poll_interval: 0s\n",
     "c.yml:2:18: ingest.poll_interval: must be greater than 0"},
    {"negative duration", "state:\n  snapshot_interval: -5s\n",
     "c.yml:2:22: state.snapshot_interval: expected a duration such as 250ms, 30s, 5m or "
     "1h30m, got \"-5s\""},
    {"duration without unit", "ingest:\n  poll_interval: 250\n",
     "c.yml:2:18: ingest.poll_interval: expected a duration such as 250ms, 30s, 5m or 1h30m, "
     "got \"250\""},
    {"window not whole seconds", "registry:\n  window: 1500ms\n",
     "c.yml:2:11: registry.window: must be a whole number of seconds, got 1500ms"},
    {"listen port too large", "web:\n  listen_address: \"localhost:99999\"\n",
     "c.yml:2:19: web.listen_address: invalid listen address \"localhost:99999\": port must "
     "be a number 0..65535"},
    {"listen without port", "web:\n  listen_address: 9478\n",
     "c.yml:2:19: web.listen_address: invalid listen address \"9478\": want HOST:PORT or "
     ":PORT"},
    {"listen IPv6 without brackets", "web:\n  listen_address: \"::1:9478\"\n",
     "c.yml:2:19: web.listen_address: invalid listen address \"::1:9478\": an IPv6 host needs "
     "brackets, e.g. [::1]:9478"},
    {"telemetry path without slash", "web:\n  telemetry_path: metrics\n",
     "c.yml:2:19: web.telemetry_path: invalid path \"metrics\": must start with '/'"},
    {"bad start_at", "ingest:\n  start_at: middle\n",
     "c.yml:2:13: ingest.start_at: must be \"beginning\" or \"end\", got \"middle\""},
    {"unsorted buckets", "registry:\n  buckets:\n    agent_request_duration_seconds: [1, 5, 2]\n",
     "c.yml:3:44: registry.buckets.agent_request_duration_seconds[2]: bucket bounds must be "
     "strictly increasing, got 2 after 5"},
    {"equal buckets", "registry:\n  buckets:\n    agent_eval_score:\n      - 0.5\n      - 0.5\n",
     "c.yml:5:9: registry.buckets.agent_eval_score[1]: bucket bounds must be strictly "
     "increasing, got 0.5 after 0.5"},
    {"non-positive bucket", "registry:\n  buckets:\n    agent_eval_score: [0, 1]\n",
     "c.yml:3:24: registry.buckets.agent_eval_score[0]: bucket bounds must be positive, got 0"},
    {"non-numeric bucket", "registry:\n  buckets:\n    agent_eval_score: [.inf]\n",
     "c.yml:3:24: registry.buckets.agent_eval_score[0]: expected a finite number, got "
     "\".inf\""},
    {"empty buckets", "registry:\n  buckets:\n    agent_eval_score: []\n",
     "c.yml:3:23: registry.buckets.agent_eval_score: needs at least one bucket bound"},
    {"buckets for a counter", "registry:\n  buckets:\n    agent_requests_total: [1]\n",
     "c.yml:3:5: registry.buckets: metric \"agent_requests_total\" is a counter, not a "
     "histogram: it has no buckets"},
    {"buckets for a gauge", "registry:\n  buckets:\n    agent_task_completion_rate: [1]\n",
     "c.yml:3:5: registry.buckets: metric \"agent_task_completion_rate\" is a gauge, not a "
     "histogram: it has no buckets"},
    {"buckets for an unknown metric", "registry:\n  buckets:\n    agent_nope_seconds: [1]\n",
     "c.yml:3:5: registry.buckets: unknown metric \"agent_nope_seconds\" (not in the "
     "catalogue)"},
    {"price without match", "pricing:\n  - input: 1\n    output: 2\n",
     "c.yml:2:5: pricing[0]: missing \"match\""},
    {"price without input and output", "pricing:\n  - match: a\n",
     "c.yml:2:5: pricing[0]: missing \"input\"\nc.yml:2:5: pricing[0]: missing \"output\""},
    {"negative price", "pricing:\n  - {match: a, input: -1, output: 2}\n",
     "c.yml:2:23: pricing[0].input: prices must not be negative, got -1"},
    {"quoted price", "pricing:\n  - {match: a, input: 1, output: \"2\"}\n",
     "c.yml:2:34: pricing[0].output: expected a number, got the quoted string \"2\""},
    {"duplicate match",
     "pricing:\n  - {match: a, input: 1, output: 2}\n  - {match: a, input: 1, output: 2}\n",
     "c.yml:3:13: pricing[1]: duplicate match \"a\" (first at line 2)"},
    {"star inside a match", "pricing:\n  - {match: \"gpt*mini\", input: 1, output: 2}\n",
     "c.yml:2:13: pricing[0].match: '*' is only allowed at the end, got \"gpt*mini\""},
    {"match of everything", "pricing:\n  - {match: \"*\", input: 1, output: 2}\n",
     "c.yml:2:13: pricing[0].match: must name a model or a prefix such as \"gpt-4o*\""},
    {"price entry not a mapping", "pricing:\n  - gpt-4o\n",
     "c.yml:2:5: pricing[0]: expected a mapping, got \"gpt-4o\""},
    {"empty price entry", "pricing:\n  -\n  - {match: a, input: 1, output: 2}\n",
     "c.yml:2:3: pricing[0]: empty price entry"},
    {"pricing not a list", "pricing:\n  match: a\n",
     "c.yml:2:3: pricing: expected a list, got a mapping"},
    {"two documents", "web: {}\n---\nweb: {}\n",
     "c.yml:3:1: a config file holds one YAML document, found 2"},
    // yaml-cpp 0.7.0's LoadAll never returns on these (fuzz/corpus/config/hang-*).
    {"a mapping and a comma", "{},", "c.yml:1:3: a config file holds one YAML document; more content follows here"},
    {"a list and a comma", "[a],\n", "c.yml:1:4: a config file holds one YAML document; more content follows here"},
    {"a scalar and a comma", "\"a\",", "c.yml:1:4: a config file holds one YAML document; more content follows here"},
    {"syntax error: unclosed flow sequence", "web:\n  threads: 1\ningest:\n  files: [a, b\n",
     "c.yml:5:1: invalid YAML: end of sequence flow not found"},
    {"syntax error: bad indentation", "web:\n  threads: 1\n listen_address: x\n",
     "c.yml:3:2: invalid YAML: end of map not found"},
    {"syntax error: undefined alias", "web:\n  threads: *n\n",
     "c.yml:2:12: invalid YAML: the referenced anchor is not defined"},
};

TEST(ConfigErrorsTest, EachErrorKindHasItsPosition) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    auto r = ParseConfig(c.yaml, "c.yml");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), c.want);
  }
}

TEST(ConfigErrorsTest, ReportsAllErrorsTogetherInFileOrder) {
  const char* yaml = R"(web:
  listen_address: "host:port"
  threads: -2
ingest:
  files: [a.jsonl]
  poll_interval: soon
bogus: 1
registry:
  buckets:
    agent_requests_total: [1]
    agent_eval_score: [1, 0.5]
pricing:
  - {match: "x*", input: -3, output: 1}
  - {output: 1, input: 1}
)";
  auto r = ParseConfig(yaml, "multi.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(),
            "multi.yml:2:19: web.listen_address: invalid listen address \"host:port\": port "
            "must be a number 0..65535\n"
            "multi.yml:3:12: web.threads: must be between 1 and 1024, got -2\n"
            "multi.yml:6:18: ingest.poll_interval: expected a duration such as 250ms, 30s, 5m "
            "or 1h30m, got \"soon\"\n"
            "multi.yml:7:1: unknown key bogus (known keys: web, ingest, state, registry, "
            "pricing, alerts, dashboards, alertmanager, otlp)\n"
            "multi.yml:10:5: registry.buckets: metric \"agent_requests_total\" is a counter, "
            "not a histogram: it has no buckets\n"
            "multi.yml:11:27: registry.buckets.agent_eval_score[1]: bucket bounds must be "
            "strictly increasing, got 0.5 after 1\n"
            "multi.yml:13:26: pricing[0].input: prices must not be negative, got -3\n"
            "multi.yml:14:5: pricing[1]: missing \"match\"");
}

TEST(ConfigErrorsTest, LoadConfigNamesTheFileInEveryMessage) {
  testing::TempDir dir;
  const std::string path = dir.Write("bad.yml", "web:\n  threads: x\n  port: 1\n");
  auto r = LoadConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), path + ":2:12: web.threads: expected an integer, got \"x\"\n" + path +
                           ":3:3: unknown key web.port (known keys in web: listen_address, "
                           "telemetry_path, max_body_bytes, max_decompressed_bytes, bearer_token_file, threads, "
                        "request_timeout, idle_timeout, max_concurrent_ingest)");
}

TEST(ConfigErrorsTest, SyntaxErrorInALoadedFile) {
  testing::TempDir dir;
  const std::string path = dir.Write("bad.yml", "pricing:\n  - {match: a, input: 1\n");
  auto r = LoadConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), ::testing::StartsWith(path + ":"));
  EXPECT_THAT(r.error(), ::testing::HasSubstr(": invalid YAML: "));
}

TEST(ConfigErrorsTest, HostileInputDoesNotCrash) {
  // Deep nesting (yaml-cpp's depth guard), binary junk, huge numbers, NUL bytes.
  const std::string cases[] = {
      std::string(20000, '['),
      std::string("web:\n  threads: \0\n", 17),
      "\x01\x02\xffgarbage: [",
      "registry:\n  series_limit: 99999999999999999999999999\n",
      "registry:\n  buckets:\n    agent_eval_score: [1e999]\n",
      "ingest:\n  poll_interval: 99999999999999999999h\n",
      "web:\n  max_body_bytes: 99999999999GiB\n",
      "&a [*a]",
  };
  for (const std::string& text : cases) {
    SCOPED_TRACE(text.substr(0, 40));
    auto r = ParseConfig(text, "h.yml");
    EXPECT_FALSE(r.ok());
    if (!r.ok()) {
      EXPECT_THAT(r.error(), ::testing::StartsWith("h.yml:"));
    }
  }
}

}  // namespace
}  // namespace agx
