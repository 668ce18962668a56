#pragma once
// A tiny protobuf wire-format writer for building test inputs: fields are appended in the
// order written, nested messages are built with another ProtoBuilder. Also raw bytes, so
// tests can write malformed input on purpose. Test-only; not synchronised.
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

namespace agx::otlp::testing {

class ProtoBuilder {
 public:
  static std::string VarintBytes(std::uint64_t v) {
    std::string out;
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
    return out;
  }

  /// A tag with any wire type (also invalid ones, 0–7).
  ProtoBuilder& Tag(std::uint32_t field, unsigned wire_type) {
    data_ += VarintBytes((static_cast<std::uint64_t>(field) << 3) | wire_type);
    return *this;
  }
  ProtoBuilder& Varint(std::uint32_t field, std::uint64_t v) {
    Tag(field, 0);
    data_ += VarintBytes(v);
    return *this;
  }
  ProtoBuilder& Int(std::uint32_t field, std::int64_t v) {  // int32/int64/enum
    return Varint(field, static_cast<std::uint64_t>(v));
  }
  ProtoBuilder& Fixed64(std::uint32_t field, std::uint64_t v) {
    Tag(field, 1);
    for (int i = 0; i < 8; ++i) data_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  ProtoBuilder& Sfixed64(std::uint32_t field, std::int64_t v) {
    return Fixed64(field, static_cast<std::uint64_t>(v));
  }
  ProtoBuilder& Double(std::uint32_t field, double v) {
    return Fixed64(field, std::bit_cast<std::uint64_t>(v));
  }
  ProtoBuilder& Fixed32(std::uint32_t field, std::uint32_t v) {
    Tag(field, 5);
    for (int i = 0; i < 4; ++i) data_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  ProtoBuilder& Bytes(std::uint32_t field, std::string_view v) {  // string, bytes
    Tag(field, 2);
    data_ += VarintBytes(v.size());
    data_.append(v);
    return *this;
  }
  ProtoBuilder& Message(std::uint32_t field, const ProtoBuilder& m) {
    return Bytes(field, m.str());
  }
  ProtoBuilder& Raw(std::string_view raw) {
    data_.append(raw);
    return *this;
  }

  const std::string& str() const { return data_; }

 private:
  std::string data_;
};

// ---- OTLP messages (field numbers of opentelemetry-proto v1.11.0) ----

inline ProtoBuilder PbString(std::string_view s) { return ProtoBuilder().Bytes(1, s); }
inline ProtoBuilder PbBool(bool b) { return ProtoBuilder().Varint(2, b ? 1 : 0); }
inline ProtoBuilder PbInt(std::int64_t i) { return ProtoBuilder().Int(3, i); }
inline ProtoBuilder PbDouble(double d) { return ProtoBuilder().Double(4, d); }
inline ProtoBuilder PbKeyValue(std::string_view key, const ProtoBuilder& value) {
  return ProtoBuilder().Bytes(1, key).Message(2, value);
}

/// Bytes of a hex id ("5b8e…" → 16 raw bytes).
inline std::string PbId(std::string_view hex) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

}  // namespace agx::otlp::testing
