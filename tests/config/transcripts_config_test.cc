// ingest.transcripts and the formats of ingest.files entries: every accepted form, "~/"
// expansion, relative paths, and errors with their positions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "config/config.h"

namespace agx {
namespace {

using ::testing::ElementsAre;

Config MustParse(const std::string& yaml, const std::string& name = "/etc/agx/c.yml") {
  auto c = ParseConfig(yaml, name);
  EXPECT_TRUE(c.ok()) << c.error();
  return c.ok() ? *c : Config::Defaults();
}

std::string ErrorOf(const std::string& yaml) {
  auto c = ParseConfig(yaml, "c.yml");
  return c.ok() ? "" : c.error();
}

// Sets HOME for one test and puts the old value back.
class HomeIs {
 public:
  explicit HomeIs(const char* home) {
    if (const char* old = std::getenv("HOME")) old_ = old;
    if (home == nullptr) {
      unsetenv("HOME");
    } else {
      setenv("HOME", home, 1);
    }
  }
  ~HomeIs() { setenv("HOME", old_.c_str(), 1); }

 private:
  std::string old_ = "/root";
};

TEST(TranscriptsConfigTest, DefaultsTailNothing) {
  const TranscriptsConfig t = Config::Defaults().ingest.transcripts;
  EXPECT_TRUE(t.claude_code.files.empty());
  EXPECT_TRUE(t.codex.files.empty());
  EXPECT_EQ(t.claude_code.agent_id, "claude-code");
  EXPECT_EQ(t.codex.agent_id, "codex");
  EXPECT_EQ(t.max_messages, 65536u);
  EXPECT_EQ(t.max_pending_tool_calls, 16384u);
  EXPECT_EQ(t.max_sessions, 4096u);
  EXPECT_EQ(t.max_line_bytes, std::size_t{64} << 20);
  EXPECT_FALSE(t.start_at_end);
}

TEST(TranscriptsConfigTest, TheTwoLineFormTailsEverySessionFileBelowEachDirectory) {
  HomeIs home("/home/me");
  const Config c = MustParse(
      "ingest:\n  transcripts: {claude_code: ~/.claude/projects, codex: ~/.codex/sessions/}\n");
  EXPECT_THAT(c.ingest.transcripts.claude_code.files,
              ElementsAre("/home/me/.claude/projects/**/*.jsonl"));
  EXPECT_THAT(c.ingest.transcripts.codex.files,
              ElementsAre("/home/me/.codex/sessions/**/*.jsonl"));
  EXPECT_EQ(c.ingest.transcripts.claude_code.agent_id, "claude-code");
}

TEST(TranscriptsConfigTest, ListsMappingsAndRelativeDirectories) {
  HomeIs home("/home/me");
  const Config c = MustParse(
      "ingest:\n"
      "  transcripts:\n"
      "    claude_code: [/home/*/.claude/projects, team/claude]\n"
      "    codex: {dirs: \"~\", agent_id: \"codex-{project}\"}\n"
      "    max_messages: 2048\n"
      "    max_pending_tool_calls: 64\n"
      "    max_sessions: 32\n"
      "    max_line_bytes: 8MiB\n"
      "    start_at: end\n");
  const TranscriptsConfig& t = c.ingest.transcripts;
  EXPECT_THAT(t.claude_code.files, ElementsAre("/home/*/.claude/projects/**/*.jsonl",
                                               "/etc/agx/team/claude/**/*.jsonl"));
  EXPECT_THAT(t.codex.files, ElementsAre("/home/me/**/*.jsonl"));
  EXPECT_EQ(t.codex.agent_id, "codex-{project}");
  EXPECT_EQ(t.max_messages, 2048u);
  EXPECT_EQ(t.max_pending_tool_calls, 64u);
  EXPECT_EQ(t.max_sessions, 32u);
  EXPECT_EQ(t.max_line_bytes, std::size_t{8} << 20);
  EXPECT_TRUE(t.start_at_end);
}

TEST(TranscriptsConfigTest, IngestFilesEntriesGoToTheSourceOfTheirFormat) {
  HomeIs home("/home/me");
  const Config c = MustParse(
      "ingest:\n"
      "  transcripts: {claude_code: /var/claude}\n"
      "  files:\n"
      "    - events/*.jsonl\n"
      "    - {path: a.jsonl, format: native}\n"
      "    - {path: otel/*.json, format: otlp_json}\n"
      "    - {path: ~/one-session.jsonl, format: claude_code}\n"
      "    - {path: /srv/codex/**/rollout-*.jsonl, format: codex}\n"
      "otlp:\n"
      "  files: [/var/otel/*.json]\n");
  EXPECT_THAT(c.ingest.files, ElementsAre("/etc/agx/events/*.jsonl", "/etc/agx/a.jsonl"));
  EXPECT_THAT(c.otlp.files, ElementsAre("/var/otel/*.json", "/etc/agx/otel/*.json"));
  EXPECT_THAT(c.ingest.transcripts.claude_code.files,
              ElementsAre("/var/claude/**/*.jsonl", "/home/me/one-session.jsonl"));
  EXPECT_THAT(c.ingest.transcripts.codex.files, ElementsAre("/srv/codex/**/rollout-*.jsonl"));
}

TEST(TranscriptsConfigTest, ErrorsCarryTheirPosition) {
  HomeIs home("/home/me");
  EXPECT_EQ(ErrorOf("ingest:\n  transcripts:\n    cursor: /x\n"),
            "c.yml:3:5: unknown key ingest.transcripts.cursor (known keys in "
            "ingest.transcripts: claude_code, codex, max_messages, max_pending_tool_calls, "
            "max_sessions, max_line_bytes, start_at)");
  EXPECT_EQ(ErrorOf("ingest:\n  transcripts:\n    codex: \"\"\n"),
            "c.yml:3:12: ingest.transcripts.codex: must not be empty");
  EXPECT_EQ(ErrorOf("ingest:\n  transcripts:\n    codex: ~bob/sessions\n"),
            "c.yml:3:12: ingest.transcripts.codex: only \"~/\" (the HOME of the exporter's "
            "user) is expanded, not \"~user\": got \"~bob/sessions\"");
  EXPECT_EQ(ErrorOf("ingest:\n  transcripts:\n    codex: [/a, /a]\n"),
            "c.yml:3:17: ingest.transcripts.codex[1]: duplicate entry \"/a\" (first at line 3)");
  EXPECT_EQ(ErrorOf("ingest:\n  transcripts:\n    codex: {dirs: /a, agent_id: \"x-{session}\"}\n"),
            "c.yml:3:33: ingest.transcripts.codex.agent_id: unknown placeholder in "
            "\"x-{session}\" (only {project} is replaced)");
  EXPECT_EQ(ErrorOf("ingest:\n  transcripts:\n    claude_code: \"-\"\n"),
            "c.yml:3:18: ingest.transcripts.claude_code: standard input (\"-\") is read as "
            "native events only");
  EXPECT_EQ(ErrorOf("ingest:\n  transcripts:\n    max_messages: 10\n"),
            "c.yml:3:19: ingest.transcripts.max_messages: must be between 1024 and 16777216, "
            "got 10");
  EXPECT_EQ(ErrorOf("ingest:\n  files:\n    - {path: a, format: csv}\n"),
            "c.yml:3:25: ingest.files[0].format: unknown format \"csv\" (native, otlp_json, "
            "claude_code or codex)");
  EXPECT_EQ(ErrorOf("ingest:\n  files:\n    - {format: codex}\n"),
            "c.yml:3:7: ingest.files[0]: missing key \"path\"");
  EXPECT_EQ(ErrorOf("ingest:\n  files:\n    - {path: \"-\", format: codex}\n"),
            "c.yml:3:7: ingest.files[0]: standard input (\"-\") is read as native events only");
  EXPECT_EQ(ErrorOf("ingest:\n  files:\n    - a\n    - {path: a, format: codex}\n"),
            "c.yml:4:7: ingest.files[1]: duplicate entry \"a\" (first at line 3)");
}

TEST(TranscriptsConfigTest, TildeNeedsHome) {
  HomeIs home(nullptr);
  EXPECT_EQ(ErrorOf("ingest:\n  transcripts:\n    codex: ~/.codex/sessions\n"),
            "c.yml:3:12: ingest.transcripts.codex: \"~/.codex/sessions\" needs HOME, which is "
            "not set: give an absolute path");
}

}  // namespace
}  // namespace agx
