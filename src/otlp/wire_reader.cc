#include "otlp/wire_reader.h"

#include <cstring>

namespace agx::otlp {

std::string_view WireErrorName(WireError e) {
  switch (e) {
    case WireError::kNone:
      return "no error";
    case WireError::kTruncated:
      return "truncated input";
    case WireError::kVarintOverflow:
      return "varint overflow";
    case WireError::kLengthPastEnd:
      return "length past the end of the input";
    case WireError::kFieldNumberZero:
      return "field number 0";
    case WireError::kFieldNumberTooLarge:
      return "field number too large";
    case WireError::kGroup:
      return "groups are not supported";
    case WireError::kInvalidWireType:
      return "invalid wire type";
  }
  return "unknown error";
}

bool WireReader::ReadVarint(std::uint64_t* v) noexcept {
  if (error_ != WireError::kNone) return false;
  // Fast path: one byte (tags and small values).
  if (p_ < end_ && (static_cast<unsigned char>(*p_) & 0x80) == 0) {
    *v = static_cast<unsigned char>(*p_++);
    return true;
  }
  std::uint64_t result = 0;
  const char* p = p_;
  for (int i = 0; i < 10; ++i) {
    if (p == end_) return Fail(WireError::kTruncated);
    const auto byte = static_cast<unsigned char>(*p++);
    // The 10th byte holds bit 63 only: anything more does not fit 64 bits.
    if (i == 9 && byte > 1) return Fail(WireError::kVarintOverflow);
    result |= static_cast<std::uint64_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) {
      p_ = p;
      *v = result;
      return true;
    }
  }
  return Fail(WireError::kVarintOverflow);  // unreachable: byte 10 > 1 failed above
}

bool WireReader::ReadFixed32(std::uint32_t* v) noexcept {
  if (error_ != WireError::kNone) return false;
  if (end_ - p_ < 4) return Fail(WireError::kTruncated);
  unsigned char b[4];
  std::memcpy(b, p_, 4);
  *v = static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
       static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
  p_ += 4;
  return true;
}

bool WireReader::ReadFixed64(std::uint64_t* v) noexcept {
  if (error_ != WireError::kNone) return false;
  if (end_ - p_ < 8) return Fail(WireError::kTruncated);
  unsigned char b[8];
  std::memcpy(b, p_, 8);
  std::uint64_t r = 0;
  for (int i = 7; i >= 0; --i) r = (r << 8) | b[i];
  *v = r;
  p_ += 8;
  return true;
}

bool WireReader::ReadLengthDelimited(std::string_view* v) noexcept {
  std::uint64_t len = 0;
  if (!ReadVarint(&len)) return false;
  if (len > static_cast<std::uint64_t>(end_ - p_)) return Fail(WireError::kLengthPastEnd);
  *v = std::string_view(p_, static_cast<std::size_t>(len));
  p_ += len;
  return true;
}

bool WireReader::Next(WireField* field) noexcept {
  if (error_ != WireError::kNone || p_ == end_) return false;
  std::uint64_t tag = 0;
  if (!ReadVarint(&tag)) return false;
  if (tag > 0xFFFFFFFFu) return Fail(WireError::kFieldNumberTooLarge);
  field->number = static_cast<std::uint32_t>(tag >> 3);
  if (field->number == 0) return Fail(WireError::kFieldNumberZero);
  const auto type = static_cast<unsigned>(tag & 7);
  field->type = static_cast<WireType>(type);
  field->bytes = {};
  field->value = 0;
  switch (type) {
    case 0:
      return ReadVarint(&field->value);
    case 1:
      return ReadFixed64(&field->value);
    case 2:
      return ReadLengthDelimited(&field->bytes);
    case 5: {
      std::uint32_t v = 0;
      if (!ReadFixed32(&v)) return false;
      field->value = v;
      return true;
    }
    case 3:
    case 4:
      return Fail(WireError::kGroup);
    default:
      return Fail(WireError::kInvalidWireType);
  }
}

}  // namespace agx::otlp
