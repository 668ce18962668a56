// Config::Defaults, LoadConfig and ParseConfig: reading the file, YAML syntax, and resolving
// relative paths. The schema itself is in config_decoder.cc.
#include "config/config.h"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "config/config_decoder.h"
#include "config/pricing.h"
#include "config/yaml_document.h"
#include "config/yaml_reader.h"

namespace agx {
namespace {

// A config file is a few KiB; refuse anything absurd rather than read it into memory.
constexpr std::size_t kMaxConfigBytes = 16 << 20;

// Reads the whole file, or returns an error "path: cannot read: <reason>".
Result<std::string> ReadFile(const std::string& path) {
  auto fail = [&](const std::string& reason) { return Error{path + ": cannot read: " + reason}; };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(std::strerror(errno));
  std::string text;
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return fail(std::strerror(err));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxConfigBytes) {
      ::close(fd);
      return fail("file larger than 16MiB");
    }
  }
  ::close(fd);
  return text;
}

// Resolves `p` against `base` the way Prometheus resolves rule_files: absolute paths, "-"
// (stdin) and empty values stay as they are.
void Resolve(const std::filesystem::path& base, std::string* p) {
  if (base.empty() || p->empty() || *p == "-") return;
  const std::filesystem::path path(*p);
  if (path.is_absolute()) return;
  *p = (base / path).lexically_normal().string();
}

void ResolvePaths(const std::string& config_path, Config* c) {
  const std::filesystem::path base = std::filesystem::path(config_path).parent_path();
  for (std::string& f : c->ingest.files) Resolve(base, &f);
  for (std::string& f : c->otlp.files) Resolve(base, &f);
  for (ContainerLogFiles* cl : {&c->ingest.container_logs, &c->otlp.container_logs}) {
    for (std::string& f : cl->cri) Resolve(base, &f);
    for (std::string& f : cl->docker_json) Resolve(base, &f);
  }
  for (std::string& f : c->ingest.transcripts.claude_code.files) Resolve(base, &f);
  for (std::string& f : c->ingest.transcripts.codex.files) Resolve(base, &f);
  Resolve(base, &c->state.dir);
  Resolve(base, &c->web.bearer_token_file);
}

}  // namespace

Config Config::Defaults() {
  Config c;
  c.pricing = config_detail::ShippedPrices();
  c.alerts.rules = DefaultAlertRules();
  return c;
}

Result<Config> LoadConfig(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return Error{text.error()};
  return ParseConfig(*text, path);
}

Result<Config> ParseConfig(const std::string& yaml_text, const std::string& name) {
  config_detail::Diagnostics d(name);
  Config c = Config::Defaults();
  c.source_path = name;
  try {
    const std::optional<YAML::Node> doc =
        config_detail::LoadSingleDocument(yaml_text, "config file", &d);
    if (doc) config_detail::DecodeConfig(*doc, &c, &d);
  } catch (const YAML::Exception& e) {
    // Syntax errors (ParserException), and as a safety net anything yaml-cpp throws while
    // decoding. e.msg is the bare message; e.what() repeats the position in its own format.
    d.Add(e.mark, "invalid YAML: " + e.msg);
  }
  if (!d.empty()) return Error{d.Joined()};
  ResolvePaths(name, &c);
  return c;
}

}  // namespace agx
