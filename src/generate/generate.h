#pragma once
// The generators: pure functions from a Config (and the metric catalogue) to the files users
// load into Prometheus, Grafana and Alertmanager. Same config, same bytes. Every file starts
// with a "generated, do not edit" header. Thread-safe (no state).
#include <map>
#include <string>

#include "common/result.h"
#include "config/config.h"

namespace agx {

/// File name (relative to the output dir) -> content.
using GeneratedFiles = std::map<std::string, std::string>;

/// Alerting and recording rules (the promtool unit tests live in tests/rules/).
GeneratedFiles GenerateRules(const Config& config);
/// Grafana dashboards (JSON) and the datasource provisioning file.
GeneratedFiles GenerateDashboards(const Config& config);
/// The rules of GenerateRules as one Prometheus Operator PrometheusRule (all groups).
GeneratedFiles GeneratePrometheusRule(const Config& config);
/// The dashboards of GenerateDashboards as ConfigMaps for Grafana's dashboard sidecar
/// (label grafana_dashboard: "1"), one per dashboard, in one multi-document file.
GeneratedFiles GenerateDashboardConfigMaps(const Config& config);
/// Alertmanager routing config (alertmanager.yml content).
std::string GenerateAlertmanager(const Config& config);

/// Writes every file under `dir` (created if needed); atomically per file.
Status WriteGeneratedFiles(const GeneratedFiles& files, const std::string& dir);

/// The header line(s) of a generated file, with `comment` as the comment leader.
std::string GeneratedHeader(const std::string& comment, const std::string& command);

}  // namespace agx
