#include "common/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

namespace agx {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper only
constexpr std::size_t kChunk = 64 * 1024;

}  // namespace

GunzipStatus Gunzip(std::string_view in, std::size_t max_out, std::string* out,
                    std::string* error) {
  out->clear();
  auto fail = [&](GunzipStatus s, const char* why) {
    if (error != nullptr) *error = why;
    std::string().swap(*out);  // give the memory back, a rejected body may be large
    return s;
  };
  if (in.empty()) return fail(GunzipStatus::kCorrupt, "empty gzip body");
  z_stream zs{};
  if (inflateInit2(&zs, kGzipWindowBits) != Z_OK) {
    return fail(GunzipStatus::kCorrupt, "cannot initialise zlib");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  std::size_t in_left = in.size();
  GunzipStatus status = GunzipStatus::kOk;
  const char* why = nullptr;
  while (true) {
    if (zs.avail_in == 0 && in_left > 0) {
      const std::size_t n = std::min<std::size_t>(in_left, UINT_MAX);
      zs.avail_in = static_cast<uInt>(n);
      in_left -= n;
    }
    // Grow the output in chunks, never past max_out + 1 bytes: one byte more than allowed
    // is how "too large" is detected without inflating the rest.
    const std::size_t room_total = max_out + 1;
    if (out->size() >= room_total) {
      status = GunzipStatus::kTooLarge;
      why = "decompressed body exceeds the limit";
      break;
    }
    const std::size_t grow = std::min(kChunk, room_total - out->size());
    const std::size_t before = out->size();
    if (before + grow > out->capacity()) {
      // Double, but never past the limit: peak memory is max_out + 1 bytes, not 2x.
      out->reserve(std::min(room_total, std::max(before + grow, 2 * out->capacity())));
    }
    out->resize(before + grow);
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + before);
    zs.avail_out = static_cast<uInt>(grow);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out->resize(before + (grow - zs.avail_out));
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0 && in_left == 0) break;  // done
      // Another member follows (concatenated gzip is valid gzip).
      if (inflateReset(&zs) != Z_OK) {
        status = GunzipStatus::kCorrupt;
        why = "corrupt gzip member";
        break;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
      status = GunzipStatus::kCorrupt;
      why = "truncated gzip body";
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      status = GunzipStatus::kCorrupt;
      why = zs.msg != nullptr && rc == Z_DATA_ERROR ? "corrupt gzip data" : "invalid gzip body";
      break;
    }
  }
  inflateEnd(&zs);
  if (status == GunzipStatus::kOk && out->size() > max_out) {
    status = GunzipStatus::kTooLarge;
    why = "decompressed body exceeds the limit";
  }
  if (status != GunzipStatus::kOk) return fail(status, why);
  return status;
}

std::string Gzip(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace agx
