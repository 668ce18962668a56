#pragma once
// Relay: moves one client connection's bytes to civetweb's loopback port and civetweb's
// answers back, until either side is done. Internal to agx_http (front_end.h runs one per
// connection, on a thread of its own). Never holds more than one buffer per direction.
#include <atomic>
#include <string>

#include "http/client_stream.h"

namespace agx::http_internal {

/// Relays between `client` and `backend_fd` (a connected, non-blocking socket), sending
/// `to_backend_first` (what was already read from the client: its first request head) first.
/// Returns when civetweb has closed and everything it sent reached the client, when the
/// client is gone, when no byte moved either way for 5 minutes, or once `stopping` is set
/// (`wake_fd` becomes readable then, so that a relay waiting in poll notices at once).
void Relay(ClientStream& client, int backend_fd, std::string to_backend_first,
           const std::atomic<bool>& stopping, int wake_fd);

}  // namespace agx::http_internal
