#pragma once
// Syntax checks for config scalar values that are not plain numbers: listen addresses and
// HTTP paths. (Durations and sizes are public: ParseDuration and ParseSize in config.h.)
// Pure functions; thread-safe.
#include <string>
#include <string_view>

namespace agx::config_detail {

/// Checks a listen address: "HOST:PORT", ":PORT" or "[IPV6]:PORT" with PORT in 0..65535.
/// \return an empty string when valid, else what is wrong (for an error message).
std::string CheckListenAddress(std::string_view address);

/// Checks an HTTP path such as "/metrics": starts with '/', no whitespace, '?' or '#'.
/// \return an empty string when valid, else what is wrong.
std::string CheckHttpPath(std::string_view path);

}  // namespace agx::config_detail
