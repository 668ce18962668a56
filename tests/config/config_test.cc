// LoadConfig / ParseConfig on valid input: defaults, every key, path resolution, the shipped
// files, unreadable files.
#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "config/temp_dir.h"

namespace agx {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using testing::TempDir;

TEST(ConfigTest, DefaultsMatchTheDocumentedValues) {
  const Config c = Config::Defaults();
  EXPECT_EQ(c.source_path, "");
  EXPECT_EQ(c.web.listen_address, ":9478");
  EXPECT_EQ(c.web.telemetry_path, "/metrics");
  EXPECT_EQ(c.web.max_body_bytes, 8u << 20);
  EXPECT_EQ(c.web.bearer_token_file, "");
  EXPECT_EQ(c.web.threads, 16);
  EXPECT_EQ(c.web.max_concurrent_ingest, 12);
  EXPECT_TRUE(c.ingest.files.empty());
  EXPECT_EQ(c.ingest.poll_interval, milliseconds(250));
  EXPECT_EQ(c.ingest.max_line_bytes, 1u << 20);
  EXPECT_EQ(c.ingest.max_open_files, 256u);
  EXPECT_EQ(c.ingest.scan_interval, seconds(1));
  EXPECT_FALSE(c.ingest.start_at_end);
  EXPECT_EQ(c.state.dir, "");
  EXPECT_EQ(c.state.snapshot_interval, seconds(30));
  EXPECT_EQ(c.registry.series_limit, 10000u);
  EXPECT_EQ(c.registry.label_value_max_bytes, 128u);
  EXPECT_EQ(c.registry.window, std::chrono::hours(1));
  EXPECT_TRUE(c.registry.buckets.empty());
  ASSERT_EQ(c.pricing.size(), 15u);
  const ModelPrice* opus = FindPrice(c.pricing, "claude-opus-4-5-20251101");
  ASSERT_NE(opus, nullptr);
  EXPECT_EQ(opus->match, "claude-opus-4-5*");
  EXPECT_DOUBLE_EQ(opus->input, 5);
  EXPECT_DOUBLE_EQ(opus->output, 25);
  EXPECT_DOUBLE_EQ(opus->cache_read, 0.50);
  EXPECT_DOUBLE_EQ(opus->cache_write, 6.25);
}

TEST(ConfigTest, EmptyAndCommentOnlyFilesGiveDefaults) {
  for (const char* text : {"", "# nothing\n", "---\n", "web:\n", "web: {}\npricing:\n"}) {
    SCOPED_TRACE(text);
    auto c = ParseConfig(text, "c.yml");
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c->web.listen_address, ":9478");
    EXPECT_EQ(c->source_path, "c.yml");
  }
}

TEST(ConfigTest, LoadsEveryKey) {
  TempDir dir;
  const std::string path = dir.Write("etc/agent.yml", R"(
web:
  listen_address: "127.0.0.1:0"
  telemetry_path: /custom/metrics
  max_body_bytes: 512KiB
  bearer_token_file: /run/secrets/token
  threads: 3
ingest:
  files: [/var/log/a.jsonl, "/var/log/agents/*.jsonl", "-"]
  poll_interval: 1s500ms
  max_line_bytes: 65536
  max_open_files: 32
  scan_interval: 10s
  start_at: end
state:
  dir: /var/lib/agent_exporter
  snapshot_interval: 2m
registry:
  series_limit: 500
  label_value_max_bytes: 1KiB
  window: 15m
  buckets:
    agent_request_duration_seconds: [1, 2.5, 1e2]
    agent_eval_score: [0.5, 1]
pricing:
  - match: my-model
    input: 1.5
    output: 2
    cache_read: 0.25
    cache_write: 0.125
  - {match: "other*", input: 0, output: 0.5}
)");
  auto c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->source_path, path);
  EXPECT_EQ(c->web.listen_address, "127.0.0.1:0");
  EXPECT_EQ(c->web.telemetry_path, "/custom/metrics");
  EXPECT_EQ(c->web.max_body_bytes, 512u * 1024);
  EXPECT_EQ(c->web.bearer_token_file, "/run/secrets/token");
  EXPECT_EQ(c->web.threads, 3);
  EXPECT_EQ(c->ingest.files,
            (std::vector<std::string>{"/var/log/a.jsonl", "/var/log/agents/*.jsonl", "-"}));
  EXPECT_EQ(c->ingest.poll_interval, milliseconds(1500));
  EXPECT_EQ(c->ingest.max_line_bytes, 65536u);
  EXPECT_EQ(c->ingest.max_open_files, 32u);
  EXPECT_EQ(c->ingest.scan_interval, seconds(10));
  EXPECT_TRUE(c->ingest.start_at_end);
  EXPECT_EQ(c->state.dir, "/var/lib/agent_exporter");
  EXPECT_EQ(c->state.snapshot_interval, std::chrono::minutes(2));
  EXPECT_EQ(c->registry.series_limit, 500u);
  EXPECT_EQ(c->registry.label_value_max_bytes, 1024u);
  EXPECT_EQ(c->registry.window, std::chrono::minutes(15));
  ASSERT_EQ(c->registry.buckets.size(), 2u);
  EXPECT_EQ(c->registry.buckets.at(MetricId::kRequestDuration), (std::vector<double>{1, 2.5, 100}));
  EXPECT_EQ(c->registry.buckets.at(MetricId::kEvalScore), (std::vector<double>{0.5, 1}));
  ASSERT_EQ(c->pricing.size(), 2u);  // replaces the shipped list
  EXPECT_EQ(c->pricing[0].match, "my-model");
  EXPECT_DOUBLE_EQ(c->pricing[0].input, 1.5);
  EXPECT_DOUBLE_EQ(c->pricing[0].output, 2);
  EXPECT_DOUBLE_EQ(c->pricing[0].cache_read, 0.25);
  EXPECT_DOUBLE_EQ(c->pricing[0].cache_write, 0.125);
  EXPECT_EQ(c->pricing[1].match, "other*");
  EXPECT_DOUBLE_EQ(c->pricing[1].input, 0);
  EXPECT_DOUBLE_EQ(c->pricing[1].output, 0.5);
  EXPECT_DOUBLE_EQ(c->pricing[1].cache_read, 0);
  EXPECT_DOUBLE_EQ(c->pricing[1].cache_write, 0);
}

TEST(ConfigTest, PartialSectionsKeepOtherDefaults) {
  auto c = ParseConfig("web:\n  threads: 2\npricing: []\n", "c.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->web.threads, 2);
  EXPECT_EQ(c->web.listen_address, ":9478");
  EXPECT_EQ(c->registry.series_limit, 10000u);
  EXPECT_TRUE(c->pricing.empty());
}

TEST(ConfigTest, ResolvesRelativePathsAgainstTheConfigDirectory) {
  struct Case {
    std::string name;  // the config's path as given
    std::string file;  // an ingest.files entry
    std::string want;
  };
  const Case cases[] = {
      {"config/agent.yml", "../examples/events.jsonl", "examples/events.jsonl"},
      {"config/agent.yml", "logs/*.jsonl", "config/logs/*.jsonl"},
      {"config/agent.yml", "./a.jsonl", "config/a.jsonl"},
      {"/etc/agx/agent.yml", "a.jsonl", "/etc/agx/a.jsonl"},
      {"/etc/agx/agent.yml", "/abs/a.jsonl", "/abs/a.jsonl"},
      {"/etc/agx/agent.yml", "-", "-"},
      {"agent.yml", "a.jsonl", "a.jsonl"},  // no directory: relative to the cwd
      {"./agent.yml", "a.jsonl", "a.jsonl"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name + " + " + c.file);
    auto cfg = ParseConfig("ingest:\n  files: [\"" + c.file + "\"]\n", c.name);
    ASSERT_TRUE(cfg.ok()) << cfg.error();
    ASSERT_EQ(cfg->ingest.files.size(), 1u);
    EXPECT_EQ(cfg->ingest.files[0], c.want);
  }
}

TEST(ConfigTest, ResolvesStateDirAndTokenFileButNotEmptyValues) {
  auto c = ParseConfig("state:\n  dir: ../state\nweb:\n  bearer_token_file: secrets/token\n",
                       "/srv/agx/config/agent.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->state.dir, "/srv/agx/state");
  EXPECT_EQ(c->web.bearer_token_file, "/srv/agx/config/secrets/token");

  auto empty =
      ParseConfig("state:\n  dir: \"\"\nweb:\n  bearer_token_file:\n", "/srv/agx/config/agent.yml");
  ASSERT_TRUE(empty.ok()) << empty.error();
  EXPECT_EQ(empty->state.dir, "");
  EXPECT_EQ(empty->web.bearer_token_file, "");
}

TEST(ConfigTest, LoadConfigResolvesAgainstTheRealFileLocation) {
  TempDir dir;
  const std::string path = dir.Write("conf/agent.yml", "ingest:\n  files: [../logs/a.jsonl]\n");
  auto c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->ingest.files.size(), 1u);
  EXPECT_EQ(c->ingest.files[0], (dir.path() / "logs/a.jsonl").string());
}

TEST(ConfigTest, MissingOrUnreadableFileIsAnError) {
  TempDir dir;
  const std::string missing = (dir.path() / "nope.yml").string();
  auto c = LoadConfig(missing);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), missing + ": cannot read: No such file or directory");

  auto d = LoadConfig(dir.path().string());  // a directory opens but cannot be read
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error(), dir.path().string() + ": cannot read: Is a directory");
}

TEST(ConfigTest, ShippedFilesLoadWithoutErrors) {
  const std::string root = AGX_SOURCE_DIR;
  for (const char* name : {"config/agent_exporter.yml", "config/agent_exporter.example.yml"}) {
    SCOPED_TRACE(name);
    auto c = LoadConfig(root + "/" + name);
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_EQ(c->ingest.files.size(), 1u);
    EXPECT_EQ(c->ingest.files[0], root + "/examples/events.jsonl");
    EXPECT_EQ(c->state.dir, root + "/.agent_exporter-state");
    EXPECT_FALSE(c->pricing.empty());
  }
}

TEST(ConfigTest, LoadsTheOtlpSectionAndResolvesItsFiles) {
  auto c = ParseConfig(
      "web:\n  max_decompressed_bytes: 1MiB\n  max_concurrent_ingest: 3\n"
      "otlp:\n  listen_address: \"127.0.0.1:4318\"\n"
      "  agent_id_attributes: [agent.name, service.name]\n  default_agent_id: nobody\n"
      "  claude_code_usage: metrics\n  max_attributes: 16\n  max_depth: 8\n  files: [otel/*.json]\n"
      "ingest:\n  max_json_depth: 5\n",
      "/srv/agx/agent.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->web.max_decompressed_bytes, std::size_t{1} << 20);
  EXPECT_EQ(c->web.max_concurrent_ingest, 3);
  EXPECT_EQ(c->otlp.listen_address, "127.0.0.1:4318");
  EXPECT_EQ(c->otlp.agent_id_attributes, (std::vector<std::string>{"agent.name", "service.name"}));
  EXPECT_EQ(c->otlp.default_agent_id, "nobody");
  EXPECT_EQ(c->otlp.claude_code_usage, "metrics");
  EXPECT_EQ(c->otlp.max_attributes, 16u);
  EXPECT_EQ(c->otlp.max_depth, 8u);
  EXPECT_EQ(c->ingest.max_json_depth, 5);
  EXPECT_EQ(c->otlp.files, (std::vector<std::string>{"/srv/agx/otel/*.json"}));
  const Config d = Config::Defaults();
  EXPECT_EQ(d.otlp.listen_address, "");
  EXPECT_EQ(d.otlp.agent_id_attributes,
            (std::vector<std::string>{"gen_ai.agent.name", "gen_ai.agent.id", "service.name"}));
  EXPECT_EQ(d.otlp.claude_code_usage, "logs");
  EXPECT_EQ(d.otlp.max_depth, 64u);
  EXPECT_EQ(d.ingest.max_json_depth, 64);
  EXPECT_EQ(d.web.max_decompressed_bytes, std::size_t{64} << 20);
  EXPECT_EQ(d.web.request_timeout, std::chrono::seconds(30));
  EXPECT_EQ(d.web.idle_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(d.state.max_wal_bytes, std::size_t{1} << 30);
  EXPECT_EQ(d.registry.max_series, 200000u);
  auto limits = ParseConfig(
      "web:\n  request_timeout: 5s\n  idle_timeout: 1m\nstate:\n  max_wal_bytes: 256MiB\n"
      "registry:\n  max_series: 50000\n",
      "l.yml");
  ASSERT_TRUE(limits.ok()) << limits.error();
  EXPECT_EQ(limits->web.request_timeout, std::chrono::seconds(5));
  EXPECT_EQ(limits->web.idle_timeout, std::chrono::minutes(1));
  EXPECT_EQ(limits->state.max_wal_bytes, std::size_t{256} << 20);
  EXPECT_EQ(limits->registry.max_series, 50000u);
}

TEST(ConfigTest, ShippedConfigCarriesTheBuiltInPrices) {
  auto c = LoadConfig(std::string(AGX_SOURCE_DIR) + "/config/agent_exporter.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->web.listen_address, ":9478");
  EXPECT_EQ(c->state.snapshot_interval, seconds(10));
  const Config defaults = Config::Defaults();
  ASSERT_EQ(c->pricing.size(), defaults.pricing.size());
  for (std::size_t i = 0; i < defaults.pricing.size(); ++i) {
    const ModelPrice& got = c->pricing[i];
    const ModelPrice& want = defaults.pricing[i];
    SCOPED_TRACE(want.match);
    EXPECT_EQ(got.match, want.match);
    EXPECT_DOUBLE_EQ(got.input, want.input);
    EXPECT_DOUBLE_EQ(got.output, want.output);
    EXPECT_DOUBLE_EQ(got.cache_read, want.cache_read);
    EXPECT_DOUBLE_EQ(got.cache_write, want.cache_write);
  }
}

TEST(ConfigTest, ExampleFileSetsEveryKey) {
  // The example documents every key: each must appear in it.
  std::ifstream in(std::string(AGX_SOURCE_DIR) + "/config/agent_exporter.example.yml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* key : {"web:",
                          "listen_address:",
                          "telemetry_path:",
                          "max_body_bytes:",
                          "bearer_token_file:",
                          "threads:",
                          "ingest:",
                          "files:",
                          "container_log:",
                          "poll_interval:",
                          "max_line_bytes:",
                          "max_open_files:",
                          "scan_interval:",
                          "start_at:",
                          "state:",
                          "dir:",
                          "snapshot_interval:",
                          "registry:",
                          "series_limit:",
                          "label_value_max_bytes:",
                          "window:",
                          "buckets:",
                          "pricing:",
                          "match:",
                          "input:",
                          "output:",
                          "cache_read:",
                          "cache_write:",
                          "max_decompressed_bytes:",
                          "max_concurrent_ingest:",
                          "request_timeout:",
                          "idle_timeout:",
                          "max_wal_bytes:",
                          "max_series:",
                          "otlp:",
                          "agent_id_attributes:",
                          "default_agent_id:",
                          "claude_code_usage:",
                          "max_attributes:",
                          "max_json_depth:",
                          "max_depth:",
                          "transcripts:",
                          "claude_code:",
                          "codex:",
                          "agent_id:",
                          "max_messages:",
                          "max_pending_tool_calls:",
                          "max_sessions:"}) {
    EXPECT_THAT(text, HasSubstr(key));
  }
}

}  // namespace
}  // namespace agx
