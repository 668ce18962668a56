#pragma once
// LoadSingleDocument: the one YAML document of a config file, for the config and web config
// loaders. Internal to the config module. Thread-safe (no shared state).
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>

#include "config/yaml_reader.h"

namespace agx::config_detail {

/// Parses `text`, which must hold at most one YAML document (`what` names the file kind in
/// the message, e.g. "config file"): the document, or nothing for a text without one (empty,
/// or comments only). A second document, or content yaml-cpp cannot attach to the first, is
/// reported to `d` at its position, and nothing is returned. Throws YAML::Exception on
/// syntax errors, like YAML::Load.
///
/// Why not YAML::LoadAll: in yaml-cpp 0.7.0 (Debian 12) it never returns for a top-level
/// node followed by `,` (`{},`, `[],`, `"a",`): after the first document the stray comma is
/// never consumed and every further call yields another empty document
/// (jbeder/yaml-cpp#1040, fixed upstream after 0.8.0). Here documents are counted with a
/// bounded number of parser calls instead.
std::optional<YAML::Node> LoadSingleDocument(const std::string& text, std::string_view what,
                                             Diagnostics* d);

}  // namespace agx::config_detail
