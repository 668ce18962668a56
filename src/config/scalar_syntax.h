#pragma once
// Syntax checks for config scalar values that are not plain numbers (listen addresses, HTTP
// paths), and how user text is shown in messages. (Durations and sizes are public:
// ParseDuration and ParseSize in config.h.)
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

/// \return `s` made safe to print in a message: at most 60 bytes (cut at a UTF-8
/// boundary, "..." appended), control characters and bytes of invalid UTF-8 as \xNN.
std::string Sanitize(std::string_view s);
/// \return Sanitize(s) in double quotes.
std::string Quoted(std::string_view s);

}  // namespace agx::config_detail
