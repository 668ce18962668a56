#pragma once
// Decodes a parsed YAML document into a Config, section by section, checking every key and
// value (see yaml_reader.h). Internal to the config module.
#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace agx::config_detail {

/// Overwrites the fields of `*config` that `root` sets; reports every problem to `*d`.
/// `*config` holds partial results when `d` is not empty afterwards: discard it then.
void DecodeConfig(const YAML::Node& root, Config* config, Diagnostics* d);

/// Decodes a list of span rules (span_rule_decoder.cc); `file` names their origin.
/// `*out` is replaced only when the whole list is valid.
void DecodeSpanRules(const Value& v, const std::string& file, std::vector<SpanRuleConfig>* out,
                     Diagnostics* d);

/// A list of tailed paths and globs (files_decoder.cc): non-empty strings, no duplicates, a
/// leading "~/" expanded to $HOME. `*files` is replaced only when the whole list is valid.
void DecodeFiles(const Value& v, std::vector<std::string>* files, Diagnostics* d);

/// Where `ingest.files` entries go by their format (files_decoder.cc).
struct TailedFiles {
  std::vector<std::string>* native;
  std::vector<std::string>* otlp_json;
  std::vector<std::string>* claude_code;
  std::vector<std::string>* codex;
  ContainerLogFiles* native_containers;  ///< native entries with `container_log`
  ContainerLogFiles* otlp_containers;    ///< otlp_json entries with `container_log`
};
/// `ingest.files`: each entry a path or glob (native events) or a mapping
/// {path, format, container_log}.
void DecodeTailedFiles(const Value& v, const TailedFiles& out, Diagnostics* d);

/// Section `ingest.transcripts` (files_decoder.cc).
void DecodeTranscripts(const Value& v, TranscriptsConfig* out, Diagnostics* d);

}  // namespace agx::config_detail
