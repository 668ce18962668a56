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
#include "config/span_rule.h"

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
  std::size_t max_body_bytes = 8 << 20;  ///< push and OTLP bodies as sent; over it: 413
  /// Push and OTLP bodies after Content-Encoding: gzip (the OTLP spec recommends 64 MiB);
  /// over it: 413, found while inflating, so a zip bomb never takes more memory.
  std::size_t max_decompressed_bytes = 64 << 20;
  std::string bearer_token_file;         ///< empty: pushes need no token
  /// exporter-toolkit web config (basic_auth_users, …), docs/security.md; empty: none.
  /// Set by --web.config.file (not a YAML key: it is a separate file, as in node_exporter).
  std::string web_config_file;
  int threads = 16;
  /// Push and OTLP requests handled at once (at most threads - 1); more get 429 with
  /// Retry-After, so that a burst of clients cannot hold every worker and starve /metrics.
  int max_concurrent_ingest = 12;
  /// A request (headers and body) must arrive within this time, or the connection is
  /// closed: slow clients cannot hold a worker for long.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  /// An idle keep-alive connection is closed after this time. Short on purpose: civetweb
  /// serves each connection on one worker thread, which an idle connection keeps busy.
  std::chrono::milliseconds idle_timeout{500};
  std::string telemetry_path = "/metrics";
};

/// One coding agent's session transcripts (`ingest.transcripts.<format>`, docs/transcripts.md).
struct TranscriptSourceConfig {
  /// Files to tail: "<dir>/**/*.jsonl" for each configured directory, then the patterns of
  /// the `ingest.files` entries with this format.
  std::vector<std::string> files;
  /// agent_id of the events; "{project}" in it is replaced by the last component of the
  /// session's working directory.
  std::string agent_id;
};

/// Section `ingest.transcripts`: Claude Code and Codex CLI session transcripts.
struct TranscriptsConfig {
  TranscriptSourceConfig claude_code{{}, "claude-code"};
  TranscriptSourceConfig codex{{}, "codex"};
  /// API messages remembered so that one streamed in several lines, or copied into a
  /// sub-agent file, is counted once; bounded, oldest forgotten first.
  std::size_t max_messages = 65536;
  /// Tool calls waiting for their result; bounded, oldest forgotten first.
  std::size_t max_pending_tool_calls = 16384;
  /// Session files with state (the open turn, the model, the last token totals); bounded,
  /// the least recently written forgotten first.
  std::size_t max_sessions = 4096;
  /// Transcript lines carry whole tool results and images: far longer than event lines.
  std::size_t max_line_bytes = std::size_t{64} << 20;
  /// For transcript files with no saved position: false = read from the start (the history
  /// of the sessions still on disk is counted once), true = only what is written from now.
  bool start_at_end = false;
};

/// `ingest.files` entries with `container_log` (docs/deploy.md "Container logs"): files of a
/// container runtime whose records wrap the lines the container printed, by wrapper.
struct ContainerLogFiles {
  std::vector<std::string> cri;          ///< CRI format (kubelet with containerd, CRI-O)
  std::vector<std::string> docker_json;  ///< Docker's json-file log driver
};

struct IngestConfig {
  std::vector<std::string> files;  ///< native event files: paths and globs, "-" for stdin
  /// Container logs whose lines are native events (entries of format native).
  ContainerLogFiles container_logs;
  std::chrono::milliseconds poll_interval{250};
  std::size_t max_line_bytes = 1 << 20;
  /// Tailed files open at once, per tailer (ingest.files, otlp.files); more matched files are
  /// closed while idle and opened again when they grow (FileTailer, "parked").
  std::size_t max_open_files = 256;
  /// How often the file patterns are expanded to find new files; polls in between check only
  /// the files already followed (a big `**` tree is not walked at every poll).
  std::chrono::milliseconds scan_interval{std::chrono::seconds(1)};
  /// Levels of objects and arrays in a line, its own object included; deeper: invalid_json.
  int max_json_depth = 64;
  /// Events (NDJSON lines or JSON array elements) in one POST /v1/events body; more: 413,
  /// found while the body is split, before they are stored.
  std::size_t max_events_per_push = 100000;
  bool start_at_end = false;  ///< for files with no saved position: false = read from start
  TranscriptsConfig transcripts;
};

struct StateConfig {
  std::string dir;  ///< empty: no persistence, no WAL
  std::chrono::milliseconds snapshot_interval{std::chrono::seconds(30)};
  /// The write-ahead log holds pushes since the last snapshot; past this size pushes get
  /// 503 with Retry-After until a snapshot compacts it (disk use stays bounded).
  std::size_t max_wal_bytes = std::size_t{1} << 30;
  /// A checkpoint by log size: when the write-ahead log passes this size, a snapshot is
  /// written at once (in the background) and the log compacted, not only every
  /// snapshot_interval, so that a sustained push rate never fills max_wal_bytes. At least
  /// max_wal_bytes: by the interval only.
  std::size_t checkpoint_wal_bytes = std::size_t{128} << 20;
  /// Start even though state.json is missing while the write-ahead log shows that records
  /// were logged (the snapshot of everything counted before them was deleted or lost): the
  /// counters then restart from what the log still holds. Off (the default): refuse to
  /// start. Set by the flag --state.allow-missing-snapshot only, so that accepting such a
  /// loss is a one-off decision rather than a setting left in a file.
  bool allow_missing_snapshot = false;
};

struct RegistryConfig {
  std::size_t series_limit = 10000;  ///< per metric
  std::size_t max_series = 200000;   ///< all metrics together
  std::size_t label_value_max_bytes = 128;
  std::chrono::seconds window{std::chrono::hours(1)};  ///< L4 sliding-window gauges
  std::map<MetricId, std::vector<double>> buckets;      ///< overrides by metric
};

/// One alert's tunables (section `alerts.rules.<AlertName>`). Each alert reads only the
/// fields its runbook entry names (docs/runbooks.md); DefaultAlertRules() has every alert.
struct AlertRuleConfig {
  bool enabled = true;
  std::string severity;                    ///< P1 | P2 | P3
  std::chrono::seconds for_duration{0};    ///< `for:`
  std::chrono::seconds window{0};          ///< the rate/ratio window
  std::chrono::seconds baseline{0};        ///< baseline window or offset, where used
  double threshold = 0;                    ///< ratio, seconds, count or USD, per alert
  double factor = 0;                       ///< multiple of the baseline, where used
  double min_rate = 0;                     ///< volume guard in events per second, where used
};

/// Section `alerts`: what `agent_exporter rules` generates.
struct AlertsConfig {
  /// Base of every runbook_url; the anchor is the lower-cased alert name.
  std::string runbook_url =
      "https://github.com/agent-exporter/agent_exporter/blob/main/docs/runbooks.md";
  /// Grafana base URL for dashboard links in annotations.
  std::string grafana_url = "http://localhost:3000";
  /// Extra label matchers added to every selector, e.g. `job="agent_exporter"` (may be empty).
  std::string selector;
  double slo_objective = 0.99;                               ///< run success SLO (0..1)
  std::chrono::seconds slo_period{std::chrono::hours(24 * 30)};
  double daily_budget_usd_per_agent = 100;                   ///< AgentDailyBudgetExceeded
  double daily_budget_usd_total = 500;
  std::map<std::string, AlertRuleConfig> rules;              ///< by alert name
};

/// Section `dashboards`: what `agent_exporter dashboards` generates.
struct DashboardsConfig {
  std::string uid_prefix = "agx";            ///< dashboard uids are <prefix>-<name>
  std::string prometheus_url = "http://localhost:9090";  ///< for the datasource provisioning
  std::string scrape_interval = "15s";       ///< datasource timeInterval ($__rate_interval)
  std::string trace_datasource_uid = "tempo";  ///< exemplar trace links; empty: url instead
  std::string trace_url;  ///< used when trace_datasource_uid is empty, e.g. https://…/${__value.raw}
};

/// Section `alertmanager`: what `agent_exporter alertmanager` generates.
/// P1 goes to the pager and chat, P2 to chat, P3 is recorded only (no notification).
struct AlertmanagerConfig {
  std::string pagerduty_routing_key_file = "/etc/alertmanager/secrets/pagerduty_key";
  std::string slack_api_url_file = "/etc/alertmanager/secrets/slack_url";
  std::string slack_channel = "#agent-alerts";
  /// When set, the pager and chat receivers are webhooks to these URLs instead (tests,
  /// or a bridge such as alertmanager-webhook adapters).
  std::string pager_webhook_url;
  std::string chat_webhook_url;
  std::vector<std::string> group_by = {"alertname", "agent_id"};
  std::chrono::seconds group_wait{30};
  std::chrono::seconds group_interval{std::chrono::minutes(5)};
  std::chrono::seconds repeat_interval{std::chrono::hours(4)};
};

/// Section `otlp`: OpenTelemetry (OTLP/HTTP) ingest, docs/otlp.md.
struct OtlpConfig {
  /// A second listener serving only the OTLP endpoints, e.g. ":4318" (the OTLP/HTTP
  /// default port); empty: OTLP is served on web.listen_address only.
  std::string listen_address;
  /// Attribute keys giving an item's agent_id, first present wins; each is looked up in
  /// the item's attributes, then in its resource's attributes.
  std::vector<std::string> agent_id_attributes = {"gen_ai.agent.name", "gen_ai.agent.id",
                                                  "service.name"};
  /// Used when none of agent_id_attributes is present.
  std::string default_agent_id = "unknown";
  /// Which Claude Code telemetry counts tokens and cost: its api_request log events
  /// ("logs") or its claude_code.token.usage / claude_code.cost.usage metrics ("metrics").
  std::string claude_code_usage = "logs";
  std::size_t max_attributes = 128;  ///< per item; items with more are rejected
  std::size_t max_depth = 64;  ///< JSON / protobuf nesting of a request; deeper: 400
  /// Spans, log records or data points in one request; more: 413, counted before they are
  /// stored (the OpenTelemetry SDKs export 512 at a time, the Collector's batch 8192).
  std::size_t max_items_per_request = 100000;
  /// Memory the OTLP requests being decoded may hold together: a JSON body needs about 14
  /// times its size while decoded (simdjson's index), a protobuf body at most 4 times plus
  /// 1 MiB (decode_budget.h). A request that alone needs more: 413; one that finds the budget
  /// in use: 429 with Retry-After. With the default, a JSON body up to ~11 MiB is accepted.
  std::size_t decode_memory_bytes = std::size_t{160} << 20;
  /// Span rules of the user, tried before the built-in table (docs/otlp.md, "Span rules").
  std::vector<SpanRuleConfig> span_rules;
  /// The model label of an LLM call whose span (and ancestors in its request) name none.
  std::string default_model = "unknown";
  /// Spans remembered to count one call per request when instrumentations nest (the
  /// innermost span wins, docs/otlp.md "Nested spans"): bounded, oldest forgotten first.
  std::size_t span_memory_entries = 65536;
  /// OTLP JSON files to tail (one export request per line, as the Collector's file
  /// exporter writes them); paths and globs like ingest.files.
  std::vector<std::string> files;
  /// Container logs whose lines are OTLP JSON (ingest.files entries of format otlp_json).
  ContainerLogFiles container_logs;
};

struct Config {
  std::string source_path;  ///< file it was loaded from; empty for built-in defaults
  WebConfig web;
  IngestConfig ingest;
  StateConfig state;
  RegistryConfig registry;
  std::vector<ModelPrice> pricing;  ///< see FindPrice; a `pricing:` section replaces the list
  AlertsConfig alerts;              ///< rules start from DefaultAlertRules()
  DashboardsConfig dashboards;
  AlertmanagerConfig alertmanager;
  OtlpConfig otlp;

  /// Built-in defaults, including the shipped list prices.
  static Config Defaults();
};

/// Every alert agent_exporter generates, with its default tunables (from the source
/// article where it gives them). Names are a contract.
std::map<std::string, AlertRuleConfig> DefaultAlertRules();

/// Loads and validates `path`. On failure the error lists every problem found, one per
/// line, each as "path:line:column: message" (line and column 1-based); a file that cannot
/// be read gives "path: cannot read: <strerror>". Relative paths in `ingest.files`,
/// `ingest.transcripts`, `otlp.files`, `state.dir` and `web.bearer_token_file` are resolved
/// against the directory of `path`; a leading "~/" in tailed paths is $HOME.
/// Thread-safe (no shared state).
Result<Config> LoadConfig(const std::string& path);

/// Same as LoadConfig, from text: `name` is used in messages and, like `path` above, as the
/// base for relative paths (a name without a directory leaves them relative to the cwd).
Result<Config> ParseConfig(const std::string& yaml_text, const std::string& name);

/// Finds the price for `model`: exact match first, then the longest matching prefix among
/// entries ending in '*'. \return nullptr when none matches; else a pointer into `pricing`.
const ModelPrice* FindPrice(const std::vector<ModelPrice>& pricing, std::string_view model);

/// What tokens cost at `price` (USD per million tokens), in USD: cache creation tokens are
/// priced as cache writes. Negative counts (absent fields) count as 0. Shared by every
/// mapper that prices tokens (the event mapper, the transcript mappers), so the arithmetic
/// is the same everywhere.
double PriceTokens(const ModelPrice& price, double input, double output, double cache_read,
                   double cache_creation);

/// Parses "250ms", "30s", "5m", "1h", "1d", "1w", "1y" and compounds such as "1h30m"
/// (Prometheus duration syntax: units in decreasing order, each at most once; "0" is zero).
/// \return false, leaving `*out` unchanged, for anything else (empty, negative, unknown unit).
bool ParseDuration(std::string_view s, std::chrono::milliseconds* out);

/// Parses a byte size: "1048576", "512B", "512KiB", "8MiB", "1GiB" (powers of 1024) or
/// "500KB", "8MB", "1GB" (powers of 1000). No sign, fraction or space.
/// \return false, leaving `*out` unchanged, on bad syntax or overflow.
bool ParseSize(std::string_view s, std::size_t* out);

}  // namespace agx
