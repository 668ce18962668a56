#pragma once
// The body of an ingest request after its Content-Encoding (none, identity or gzip),
// within a decompressed-size limit. Shared by POST /v1/events and the OTLP endpoints.
// Pure; thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

#include "http/server.h"

namespace agx {

struct BodyError {
  int status = 0;  ///< 0: no error; else 400, 413 or 415
  std::string message;
};

/// Sets `*body` to the request body, decompressed into `*storage` when gzip'ed.
BodyError DecodeRequestBody(const HttpRequest& req, std::size_t max_decompressed_bytes,
                            std::string* storage, std::string_view* body);

/// The media type of a Content-Type value: lower-cased, parameters and spaces removed.
std::string MediaType(std::string_view content_type);

}  // namespace agx
