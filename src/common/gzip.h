#pragma once
// gzip decompression with an output limit, for Content-Encoding: gzip request bodies. The
// only place that uses zlib. Pure; thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

namespace agx {

enum class GunzipStatus {
  kOk,
  kCorrupt,   ///< not gzip, bad checksum, truncated, or trailing garbage
  kTooLarge,  ///< the decompressed data would exceed the limit (a zip bomb, or just big)
};

/// Decompresses `in` (one or more concatenated gzip members, RFC 1952) into `*out`,
/// stopping as soon as the output would exceed `max_out` bytes: memory stays bounded by
/// `max_out` whatever the compression ratio. `*error` (optional) gets a short reason.
GunzipStatus Gunzip(std::string_view in, std::size_t max_out, std::string* out,
                    std::string* error = nullptr);

/// Compresses `in` as one gzip member (tests and clients).
std::string Gzip(std::string_view in);

}  // namespace agx
