#pragma once
// Config: the exporter's configuration (config/agent_exporter.yml), a plain value type.
// Load() parses YAML strictly: unknown keys, wrong types and invalid values are errors that
// carry file:line:column. Later issues add sections (rules, dashboards, otlp, …) here.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/metric_spec.h"
#include "common/result.h"

namespace agx {

/// USD per million tokens for one model name or prefix.
struct ModelPrice {
  std::string match;  ///< model name; a trailing '*' makes it a prefix match
  double input = 0;
  double output = 0;
  double cache_read = 0;
  double cache_write = 0;
};

struct WebConfig {
  std::string listen_address = ":9478";  ///< HOST:PORT; ":PORT" means all interfaces
  std::size_t max_body_bytes = 8 << 20;
  std::string bearer_token_file;         ///< empty: pushes need no token
  int threads = 8;
  std::string telemetry_path = "/metrics";
};

struct IngestConfig {
  std::vector<std::string> files;  ///< paths and globs, "-" for stdin
  std::chrono::milliseconds poll_interval{250};
  std::size_t max_line_bytes = 1 << 20;
  bool start_at_end = false;  ///< for files with no saved position: false = read from start
};

struct StateConfig {
  std::string dir;  ///< empty: no persistence, no WAL
  std::chrono::milliseconds snapshot_interval{std::chrono::seconds(30)};
};

struct RegistryConfig {
  std::size_t series_limit = 10000;
  std::size_t label_value_max_bytes = 128;
  std::chrono::seconds window{std::chrono::hours(1)};  ///< L4 sliding-window gauges
  std::map<MetricId, std::vector<double>> buckets;      ///< overrides by metric
};

struct Config {
  std::string source_path;  ///< file it was loaded from; empty for built-in defaults
  WebConfig web;
  IngestConfig ingest;
  StateConfig state;
  RegistryConfig registry;
  std::vector<ModelPrice> pricing;  ///< see FindPrice; a `pricing:` section replaces the list

  /// Built-in defaults, including the shipped list prices.
  static Config Defaults();
};

/// Loads and validates `path`. On failure the error lists every problem found, one per
/// line, each as "path:line:column: message" (line and column 1-based); a file that cannot
/// be read gives "path: cannot read: <strerror>". Relative paths in `ingest.files`,
/// `state.dir` and `web.bearer_token_file` are resolved against the directory of `path`.
/// Thread-safe (no shared state).
Result<Config> LoadConfig(const std::string& path);

/// Same as LoadConfig, from text: `name` is used in messages and, like `path` above, as the
/// base for relative paths (a name without a directory leaves them relative to the cwd).
Result<Config> ParseConfig(const std::string& yaml_text, const std::string& name);

/// Finds the price for `model`: exact match first, then the longest matching prefix among
/// entries ending in '*'. \return nullptr when none matches; else a pointer into `pricing`.
const ModelPrice* FindPrice(const std::vector<ModelPrice>& pricing, std::string_view model);

/// Parses "250ms", "30s", "5m", "1h", "1d", "1w", "1y" and compounds such as "1h30m"
/// (Prometheus duration syntax: units in decreasing order, each at most once; "0" is zero).
/// \return false, leaving `*out` unchanged, for anything else (empty, negative, unknown unit).
bool ParseDuration(std::string_view s, std::chrono::milliseconds* out);

/// Parses a byte size: "1048576", "512B", "512KiB", "8MiB", "1GiB" (powers of 1024) or
/// "500KB", "8MB", "1GB" (powers of 1000). No sign, fraction or space.
/// \return false, leaving `*out` unchanged, on bad syntax or overflow.
bool ParseSize(std::string_view s, std::size_t* out);

}  // namespace agx
