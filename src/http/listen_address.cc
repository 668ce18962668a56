#include "http/listen_address.h"

#include <arpa/inet.h>

#include <charconv>

namespace agx::http_internal {
namespace {

Result<std::string> ParsePort(std::string_view port) {
  if (port.empty()) {
    return Error{"missing port (expected HOST:PORT or :PORT)"};
  }
  int value = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value < 0 || value > 65535) {
    return Error{"invalid port \"" + std::string(port) + "\" (expected 0..65535)"};
  }
  return std::to_string(value);
}

}  // namespace

Result<std::string> ToCivetwebListeningPort(std::string_view address, bool ipv6_supported) {
  if (address.empty()) {
    return Error{"empty address (expected HOST:PORT or :PORT)"};
  }
  if (address.front() == '[') {
    const std::size_t close = address.find("]:");
    if (close == std::string_view::npos) {
      return Error{"invalid IPv6 address (expected [ADDR]:PORT)"};
    }
    if (!ipv6_supported) {
      return Error{
          "IPv6 is not supported: the installed civetweb was built without IPv6; "
          "use an IPv4 address or :PORT"};
    }
    const std::string host(address.substr(1, close - 1));
    in6_addr parsed{};
    if (inet_pton(AF_INET6, host.c_str(), &parsed) != 1) {
      return Error{"invalid IPv6 address \"" + host + "\""};
    }
    auto port = ParsePort(address.substr(close + 2));
    if (!port.ok()) {
      return port;
    }
    return "[" + host + "]:" + *port;
  }
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return Error{"missing port (expected HOST:PORT or :PORT)"};
  }
  std::string host(address.substr(0, colon));
  auto port = ParsePort(address.substr(colon + 1));
  if (!port.ok()) {
    return port;
  }
  if (host.empty()) {
    return std::move(port).value();
  }
  if (host.find(':') != std::string::npos) {
    return Error{"IPv6 addresses must be written in brackets, e.g. [::1]:9478"};
  }
  if (host == "localhost") {
    host = "127.0.0.1";
  }
  in_addr parsed{};
  if (inet_pton(AF_INET, host.c_str(), &parsed) != 1) {
    return Error{"host \"" + host + "\" is not an IPv4 address (host names are not resolved)"};
  }
  return host + ":" + *port;
}

}  // namespace agx::http_internal
