#pragma once
// RunOnFullStack: runs a function on a companion thread of the calling thread, one with an
// 8 MiB stack, and waits for it. civetweb 1.15 as Debian builds it gives its worker threads
// 100 KiB stacks, too small for request handlers that walk nested input (OTLP protobuf and
// JSON decoders recurse once per nesting level; a 2000-deep kvlist overflowed it under
// AddressSanitizer). Each civetweb worker gets its own companion on first use, so handlers
// never queue behind each other; the companion is joined when the worker exits.
// Internal to agx_http. Thread-safe: each thread uses only its own companion.
#include <functional>

namespace agx::http_internal {

inline constexpr std::size_t kHandlerStackBytes = std::size_t{8} << 20;

/// Runs `fn` to completion on the calling thread's companion (exceptions must not escape
/// `fn`: catch them inside).
void RunOnFullStack(const std::function<void()>& fn);

}  // namespace agx::http_internal
