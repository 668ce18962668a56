// agent_exporter: command-line entry point. Parses flags, loads the config, dispatches to
// serve / replay / explain-otlp / check-config / the generators. Everything else lives in the modules.
#include <signal.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "app/explain_otlp.h"
#include "app/exporter.h"
#include "app/replay.h"
#include "app/version.h"
#include "common/allocator.h"
#include "common/log.h"
#include "config/config.h"
#include "config/web_config.h"
#include "generate/generate.h"
#include "generate/metric_table.h"

namespace {

using agx::Config;

agx::Result<Config> LoadOrDefaults(const std::string& path) {
  if (path.empty()) return Config::Defaults();
  return agx::LoadConfig(path);
}

// Raises the soft limit on open files to the hard one, as Go programs such as node_exporter
// do at start: each connection relayed to civetweb takes three descriptors and the HTTP
// front end keeps up to max(1024, 16 x web.threads) connections per listener, more than
// systemd's default soft limit of 1024 allows for two listeners.
void RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);  // best effort: the old limit still works
  }
}

int Serve(const std::string& config_file, const std::string& listen,
          const std::vector<std::string>& files, const std::string& state_dir,
          const std::string& token_file, const std::string& web_config_file,
          bool allow_missing_snapshot) {
  auto config = LoadOrDefaults(config_file);
  if (!config.ok()) {
    std::cerr << config.error() << "\n";
    return 1;
  }
  // Flags override the file for what operators change most.
  if (!listen.empty()) config->web.listen_address = listen;
  if (!files.empty()) config->ingest.files = files;
  if (!state_dir.empty()) config->state.dir = state_dir;
  if (!token_file.empty()) config->web.bearer_token_file = token_file;
  config->web.web_config_file = web_config_file;
  config->state.allow_missing_snapshot = allow_missing_snapshot;

  agx::TuneAllocator();
  RaiseFileLimit();
  // Block the signals before any thread starts so that only sigwait below sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  agx::Exporter exporter(std::move(config.value()));
  if (auto s = exporter.Start(); !s.ok()) {
    agx::log::Error("cannot start", {{"err", s.error()}});
    return 1;
  }
  agx::log::Info("agent_exporter started", {{"version", AGX_VERSION}, {"revision", AGX_REVISION}});
  int sig = 0;
  sigwait(&set, &sig);
  agx::log::Info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  exporter.Stop();
  agx::log::Info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"agent_exporter: Prometheus exporter and alert-rule generator for AI agents"};
  app.require_subcommand(0, 1);
  bool version = false;
  app.add_flag("--version", version, "Print the version and exit");
  std::string log_level = "info";
  app.add_option("--log.level", log_level, "debug, info, warn or error")->capture_default_str();

  std::string config_file, listen, state_dir, token_file, web_config_file, format = "openmetrics";
  std::vector<std::string> files, replay_files;

  auto* serve = app.add_subcommand("serve", "Tail event files, accept pushes, serve /metrics");
  // --log.level (an option of the program) may also follow "serve": the systemd unit appends
  // ARGS from /etc/default/agent_exporter after the subcommand.
  serve->fallthrough();
  serve->add_option("--config.file", config_file, "YAML config file (built-in defaults if none)");
  serve->add_option("--web.listen-address", listen, "HOST:PORT to listen on (default :9478)");
  serve->add_option("--ingest.file", files, "Path or glob to tail (repeatable; '-' = stdin)");
  serve->add_option("--state.dir", state_dir, "Directory for snapshots and the push WAL");
  bool allow_missing_snapshot = false;
  serve->add_flag("--state.allow-missing-snapshot", allow_missing_snapshot,
                  "Start even though state.json is missing while the write-ahead log has "
                  "records (accepts the loss of the counts it held), see docs/reliability.md");
  serve->add_option("--push.bearer-token-file", token_file,
                    "File with the bearer token required on POST /v1/events");
  serve->add_option("--web.config.file", web_config_file,
                    "exporter-toolkit web config (basic_auth_users, ...), see docs/security.md");

  auto* replay = app.add_subcommand("replay", "Apply event files once and print the exposition");
  replay->add_option("--config.file", config_file, "YAML config file");
  replay->add_option("--format", format, "openmetrics or text")
      ->check(CLI::IsMember({"openmetrics", "text"}))
      ->capture_default_str();
  std::string replay_input = "native";
  replay->add_option("--input", replay_input,
                     "What the files hold: native events, or claude_code / codex transcripts")
      ->check(CLI::IsMember({"native", "claude_code", "codex"}))
      ->capture_default_str();
  replay->add_option("files", replay_files, "Event files (JSON lines)")->required();

  std::vector<std::string> explain_files;
  std::string explain_format = "text";
  auto* explain = app.add_subcommand(
      "explain-otlp", "Show what each span of OTLP JSON files becomes, and which rule decided it");
  explain->add_option("--config.file", config_file, "YAML config file (its otlp section)");
  explain->add_option("--format", explain_format, "text or json (one object per span)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  explain->add_option("files", explain_files, "OTLP JSON files (one export request per line)")
      ->required();

  auto* check = app.add_subcommand("check-config", "Validate a config file and exit");
  check->add_option("--config.file", config_file, "YAML config file")->required();
  check->add_option("--web.config.file", web_config_file, "Also validate this web config file");

  auto* catalog = app.add_subcommand("catalog", "Print the metric catalogue as a Markdown table");

  std::string output, rules_format = "prometheus", dashboards_format = "grafana";
  auto* rules = app.add_subcommand("rules", "Write Prometheus alerting and recording rules");
  rules->add_option("--config.file", config_file, "YAML config file (built-in defaults if none)");
  rules->add_option("--output", output, "Output directory")->required();
  rules->add_option("--format", rules_format,
                    "prometheus (rule files) or prometheus-operator (one PrometheusRule)")
      ->check(CLI::IsMember({"prometheus", "prometheus-operator"}))
      ->capture_default_str();
  auto* dashboards = app.add_subcommand("dashboards", "Write Grafana dashboards and datasource provisioning");
  dashboards->add_option("--config.file", config_file, "YAML config file (built-in defaults if none)");
  dashboards->add_option("--output", output, "Output directory")->required();
  dashboards->add_option("--format", dashboards_format,
                         "grafana (JSON and provisioning files) or configmap (Kubernetes "
                         "ConfigMaps for Grafana's dashboard sidecar)")
      ->check(CLI::IsMember({"grafana", "configmap"}))
      ->capture_default_str();
  auto* alertmanager = app.add_subcommand("alertmanager", "Write the Alertmanager routing config");
  alertmanager->add_option("--config.file", config_file, "YAML config file (built-in defaults if none)");
  alertmanager->add_option("--output", output, "Output file")->required();

  CLI11_PARSE(app, argc, argv);
  agx::log::Level level;
  if (!agx::log::ParseLevel(log_level, &level)) {
    std::cerr << "--log.level: must be debug, info, warn or error\n";
    return 2;
  }
  agx::log::SetLevel(level);

  if (version) {
    std::cout << "agent_exporter, version " << AGX_VERSION << " (revision: " << AGX_REVISION
              << ")\n";
    return 0;
  }
  if (*serve) return Serve(config_file, listen, files, state_dir, token_file, web_config_file,
                             allow_missing_snapshot);
  if (*replay) {
    auto config = LoadOrDefaults(config_file);
    if (!config.ok()) {
      std::cerr << config.error() << "\n";
      return 1;
    }
    auto fmt = format == "text" ? agx::ExpositionFormat::kText : agx::ExpositionFormat::kOpenMetrics;
    const auto input = replay_input == "claude_code" ? agx::ReplayInput::kClaudeCode
                       : replay_input == "codex"     ? agx::ReplayInput::kCodex
                                                     : agx::ReplayInput::kNative;
    return agx::RunReplay(*config, fmt, replay_files, std::cout, std::cerr, input);
  }
  if (*explain) {
    auto config = LoadOrDefaults(config_file);
    if (!config.ok()) {
      std::cerr << config.error() << "\n";
      return 1;
    }
    return agx::RunExplainOtlp(
        *config, explain_format == "json" ? agx::ExplainFormat::kJson : agx::ExplainFormat::kText,
        explain_files, std::cout, std::cerr);
  }
  if (*check) {
    auto config = agx::LoadConfig(config_file);
    if (!config.ok()) {
      std::cerr << config.error() << "\n";
      return 1;
    }
    std::cout << config_file << ": config OK\n";
    if (!web_config_file.empty()) {
      auto web = agx::LoadWebConfig(web_config_file);
      if (!web.ok()) {
        std::cerr << web.error() << "\n";
        return 1;
      }
      std::cout << web_config_file << ": web config OK\n";
    }
    return 0;
  }
  if (*rules || *dashboards || *alertmanager) {
    auto config = LoadOrDefaults(config_file);
    if (!config.ok()) {
      std::cerr << config.error() << "\n";
      return 1;
    }
    agx::Status written = agx::OkStatus();
    if (*rules) {
      written = agx::WriteGeneratedFiles(rules_format == "prometheus-operator"
                                             ? agx::GeneratePrometheusRule(*config)
                                             : agx::GenerateRules(*config),
                                         output);
    }
    if (*dashboards) {
      written = agx::WriteGeneratedFiles(dashboards_format == "configmap"
                                             ? agx::GenerateDashboardConfigMaps(*config)
                                             : agx::GenerateDashboards(*config),
                                         output);
    }
    if (*alertmanager) {
      std::filesystem::path out(output);
      written = agx::WriteGeneratedFiles({{out.filename().string(), agx::GenerateAlertmanager(*config)}},
                                         out.has_parent_path() ? out.parent_path().string() : ".");
    }
    if (!written.ok()) {
      std::cerr << written.error() << "\n";
      return 1;
    }
    return 0;
  }
  if (*catalog) {
    std::cout << agx::MetricTableMarkdown();
    return 0;
  }
  std::cout << app.help();
  return 0;
}
