#pragma once
// A bounds-checked reader of the protobuf wire format over a byte string: varints (at most
// 10 bytes, no bits beyond 64), fixed32/fixed64 little-endian, length-delimited fields
// (length at most what remains). Groups (wire types 3, 4), wire types 6 and 7 and field
// number 0 are errors. The reader never reads outside its input and never recurses: a
// nested message is handed out as bytes to be read by a new WireReader, so nesting depth
// is the caller's to bound.
// Value type over borrowed bytes; not synchronised (one reader per thread).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace agx::otlp {

enum class WireType : std::uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

enum class WireError : std::uint8_t {
  kNone,
  kTruncated,            ///< the input ends inside a tag or value
  kVarintOverflow,       ///< more than 10 bytes, or bits beyond the 64th
  kLengthPastEnd,        ///< a length-delimited field longer than what remains
  kFieldNumberZero,      ///< field number 0
  kFieldNumberTooLarge,  ///< tag does not fit 32 bits
  kGroup,                ///< wire types 3 and 4 (groups, not used by OTLP)
  kInvalidWireType,      ///< wire types 6 and 7
};

/// \return an English description ("truncated input", "varint overflow", …).
std::string_view WireErrorName(WireError e);

/// One field as read by WireReader::Next.
struct WireField {
  std::uint32_t number = 0;
  WireType type = WireType::kVarint;
  std::uint64_t value = 0;  ///< kVarint: the value; kFixed64 / kFixed32: the raw bits
  std::string_view bytes;   ///< kLen: the payload

  double AsDouble() const { return std::bit_cast<double>(value); }
  std::int64_t AsInt64() const { return static_cast<std::int64_t>(value); }
  /// An int32 or enum: proto encodes negatives as 10-byte varints; keep the low 32 bits.
  std::int32_t AsInt32() const {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
  }
};

class WireReader {
 public:
  explicit WireReader(std::string_view data) noexcept
      : begin_(data.data()), p_(data.data()), end_(data.data() + data.size()) {}

  /// Reads the next field (tag and value; unknown fields are skipped by ignoring them).
  /// \return false at the end of the input or on an error (then error() != kNone).
  bool Next(WireField* field) noexcept;

  /// \return the first error met; kNone while the input is well-formed so far.
  WireError error() const { return error_; }
  bool at_end() const { return p_ == end_; }
  /// \return the offset of the reader in its input (where an error was met).
  std::size_t offset() const { return static_cast<std::size_t>(p_ - begin_); }

  // Primitives, each advancing past what it read; on failure they set error() and stop.
  bool ReadVarint(std::uint64_t* v) noexcept;
  bool ReadFixed32(std::uint32_t* v) noexcept;
  bool ReadFixed64(std::uint64_t* v) noexcept;
  bool ReadLengthDelimited(std::string_view* v) noexcept;

 private:
  bool Fail(WireError e) noexcept {
    if (error_ == WireError::kNone) error_ = e;
    return false;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  WireError error_ = WireError::kNone;
};

}  // namespace agx::otlp
