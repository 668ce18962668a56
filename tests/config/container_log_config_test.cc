// `container_log` on ingest.files entries: where the entries go, relative paths, and errors
// with their positions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace agx {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string ErrorOf(const std::string& yaml) {
  auto c = ParseConfig(yaml, "c.yml");
  return c.ok() ? "" : c.error();
}

TEST(ContainerLogConfigTest, EntriesGoToTheirFormatAndWrapper) {
  auto c = ParseConfig(
      "ingest:\n"
      "  files:\n"
      "    - events.jsonl\n"
      "    - {path: /var/log/pods/*/*/*.log*, format: native, container_log: cri}\n"
      "    - {path: docker/*/*-json.log, container_log: docker_json}\n"
      "    - {path: /var/log/pods/otel_*/*/*.log, format: otlp_json, container_log: cri}\n",
      "/etc/agx/c.yml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_THAT(c->ingest.files, ElementsAre("/etc/agx/events.jsonl"));
  EXPECT_THAT(c->ingest.container_logs.cri, ElementsAre("/var/log/pods/*/*/*.log*"));
  EXPECT_THAT(c->ingest.container_logs.docker_json, ElementsAre("/etc/agx/docker/*/*-json.log"));
  EXPECT_THAT(c->otlp.files, IsEmpty());
  EXPECT_THAT(c->otlp.container_logs.cri, ElementsAre("/var/log/pods/otel_*/*/*.log"));
  EXPECT_THAT(c->otlp.container_logs.docker_json, IsEmpty());
}

TEST(ContainerLogConfigTest, ErrorsCarryTheirPosition) {
  EXPECT_EQ(ErrorOf("ingest:\n  files:\n    - {path: a, container_log: crio}\n"),
            "c.yml:3:32: ingest.files[0].container_log: unknown container_log \"crio\" (cri or "
            "docker_json)");
  EXPECT_EQ(ErrorOf("ingest:\n  files:\n    - {path: a, container_log: [cri]}\n"),
            "c.yml:3:32: ingest.files[0].container_log: expected a string, got a list");
  EXPECT_EQ(ErrorOf("ingest:\n  files:\n    - {path: \"-\", container_log: cri}\n"),
            "c.yml:3:7: ingest.files[0]: container_log applies to files, not to standard input "
            "(\"-\")");
  EXPECT_EQ(ErrorOf("ingest:\n  files:\n    - {path: a, format: codex, container_log: cri}\n"),
            "c.yml:3:7: ingest.files[0]: container_log applies to the native and otlp_json "
            "formats, not to codex transcripts");
  EXPECT_EQ(ErrorOf("ingest:\n  files:\n    - {path: a, container_log: cri}\n"
                    "    - {path: a, container_log: docker_json}\n"),
            "c.yml:4:7: ingest.files[1]: duplicate entry \"a\" (first at line 3)");
}

}  // namespace
}  // namespace agx
