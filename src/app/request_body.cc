#include "app/request_body.h"

#include <cctype>

#include "common/gzip.h"

namespace agx {

std::string MediaType(std::string_view ct) {
  if (auto semi = ct.find(';'); semi != std::string_view::npos) ct = ct.substr(0, semi);
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
  while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t')) ct.remove_prefix(1);
  std::string lower(ct);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

BodyError DecodeRequestBody(const HttpRequest& req, std::size_t max_decompressed_bytes,
                            std::string* storage, std::string_view* body) {
  const std::string encoding = MediaType(req.Header("content-encoding"));
  if (encoding.empty() || encoding == "identity") {
    if (req.body.size() > max_decompressed_bytes) {
      return {413, "request body of " + std::to_string(req.body.size()) +
                       " bytes exceeds the limit of " + std::to_string(max_decompressed_bytes)};
    }
    *body = req.body;
    return {};
  }
  if (encoding != "gzip") {
    return {415, "unsupported Content-Encoding \"" + encoding + "\"; use gzip or none"};
  }
  std::string why;
  switch (Gunzip(req.body, max_decompressed_bytes, storage, &why)) {
    case GunzipStatus::kOk:
      *body = *storage;
      return {};
    case GunzipStatus::kTooLarge:
      return {413, "decompressed request body exceeds the limit of " +
                       std::to_string(max_decompressed_bytes) + " bytes"};
    case GunzipStatus::kCorrupt:
      break;
  }
  return {400, "invalid gzip body: " + why};
}

}  // namespace agx
