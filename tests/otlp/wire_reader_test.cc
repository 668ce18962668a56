#include "otlp/wire_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "otlp/proto_builder.h"

namespace agx::otlp {
namespace {

using testing::ProtoBuilder;

TEST(WireReaderTest, ReadsVarints) {
  struct Case {
    std::string bytes;
    std::uint64_t want;
  };
  const Case cases[] = {
      {std::string(1, '\0'), 0},
      {"\x01", 1},
      {"\x7f", 127},
      {"\x80\x01", 128},
      {"\xac\x02", 300},
      // Non-minimal encodings are valid.
      {std::string("\x80\x80\x00", 3), 0},
      {ProtoBuilder::VarintBytes(1ull << 63), 1ull << 63},
      {ProtoBuilder::VarintBytes(std::numeric_limits<std::uint64_t>::max()),
       std::numeric_limits<std::uint64_t>::max()},
      // -1 as an int64 varint: 10 bytes.
      {ProtoBuilder::VarintBytes(static_cast<std::uint64_t>(std::int64_t{-1})),
       static_cast<std::uint64_t>(std::int64_t{-1})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.want);
    WireReader r(c.bytes);
    std::uint64_t v = 0;
    ASSERT_TRUE(r.ReadVarint(&v));
    EXPECT_EQ(v, c.want);
    EXPECT_TRUE(r.at_end());
    EXPECT_EQ(r.error(), WireError::kNone);
  }
  EXPECT_EQ(ProtoBuilder::VarintBytes(std::numeric_limits<std::uint64_t>::max()).size(), 10u);
}

TEST(WireReaderTest, RejectsBadVarints) {
  struct Case {
    std::string name;
    std::string bytes;
    WireError want;
  };
  const Case cases[] = {
      {"empty", "", WireError::kTruncated},
      {"continuation at end", "\x80", WireError::kTruncated},
      {"nine continuation bytes", std::string(9, '\xff'), WireError::kTruncated},
      {"eleven bytes", std::string(10, '\x80') + "\x01", WireError::kVarintOverflow},
      {"tenth byte 2", std::string(9, '\xff') + "\x02", WireError::kVarintOverflow},
      {"tenth byte 0x7f", std::string(9, '\xff') + "\x7f", WireError::kVarintOverflow},
      {"endless", std::string(64, '\xff'), WireError::kVarintOverflow},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    WireReader r(c.bytes);
    std::uint64_t v = 0;
    EXPECT_FALSE(r.ReadVarint(&v));
    EXPECT_EQ(r.error(), c.want);
    // Sticky: later reads fail too.
    EXPECT_FALSE(r.ReadVarint(&v));
    WireField f;
    EXPECT_FALSE(r.Next(&f));
    EXPECT_EQ(r.error(), c.want);
  }
}

TEST(WireReaderTest, ReadsFixedLittleEndian) {
  const std::string bytes("\x78\x56\x34\x12\xef\xcd\xab\x90\x78\x56\x34\x12", 12);
  WireReader r(bytes);
  std::uint32_t a = 0;
  std::uint64_t b = 0;
  ASSERT_TRUE(r.ReadFixed32(&a));
  EXPECT_EQ(a, 0x12345678u);
  ASSERT_TRUE(r.ReadFixed64(&b));
  EXPECT_EQ(b, 0x1234567890abcdefull);
  EXPECT_TRUE(r.at_end());

  WireReader short32(std::string_view("\x01\x02\x03", 3));
  EXPECT_FALSE(short32.ReadFixed32(&a));
  EXPECT_EQ(short32.error(), WireError::kTruncated);
  WireReader short64(std::string_view("\x01\x02\x03\x04\x05\x06\x07", 7));
  EXPECT_FALSE(short64.ReadFixed64(&b));
  EXPECT_EQ(short64.error(), WireError::kTruncated);
}

TEST(WireReaderTest, ReadsLengthDelimited) {
  struct Case {
    std::string name;
    std::string bytes;
    bool ok;
    std::string want;
  };
  const Case cases[] = {
      {"empty payload", std::string(1, '\0'), true, ""},
      {"three bytes",
       "\x03"
       "abc",
       true, "abc"},
      {"one past end",
       "\x04"
       "abc",
       false, ""},
      {"huge length", ProtoBuilder::VarintBytes(1ull << 62) + "abc", false, ""},
      {"max length", ProtoBuilder::VarintBytes(~0ull) + "abc", false, ""},
      {"truncated length", "\x80", false, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    WireReader r(c.bytes);
    std::string_view v;
    EXPECT_EQ(r.ReadLengthDelimited(&v), c.ok);
    if (c.ok) {
      EXPECT_EQ(v, c.want);
      EXPECT_TRUE(r.at_end());
    } else {
      EXPECT_NE(r.error(), WireError::kNone);
    }
  }
}

TEST(WireReaderTest, NextReadsEveryWireType) {
  ProtoBuilder b;
  b.Varint(1, 150)
      .Fixed64(2, 0x0102030405060708ull)
      .Bytes(3, "hi")
      .Fixed32(4, 0xdeadbeef)
      .Double(5, 2.5)
      .Sfixed64(6, -7)
      .Varint(536870911, 1);  // largest field number
  WireReader r(b.str());
  WireField f;
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(f.number, 1u);
  EXPECT_EQ(f.type, WireType::kVarint);
  EXPECT_EQ(f.value, 150u);
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(f.number, 2u);
  EXPECT_EQ(f.type, WireType::kFixed64);
  EXPECT_EQ(f.value, 0x0102030405060708ull);
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(f.number, 3u);
  EXPECT_EQ(f.type, WireType::kLen);
  EXPECT_EQ(f.bytes, "hi");
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(f.number, 4u);
  EXPECT_EQ(f.type, WireType::kFixed32);
  EXPECT_EQ(f.value, 0xdeadbeefu);
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(f.AsDouble(), 2.5);
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(f.AsInt64(), -7);
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(f.number, 536870911u);
  EXPECT_FALSE(r.Next(&f));
  EXPECT_EQ(r.error(), WireError::kNone);
  EXPECT_TRUE(r.at_end());
}

TEST(WireReaderTest, Int32OfNegativeEnum) {
  ProtoBuilder b;
  b.Int(1, -3);
  WireReader r(b.str());
  WireField f;
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(f.AsInt32(), -3);
}

TEST(WireReaderTest, RejectsBadTags) {
  struct Case {
    std::string name;
    std::string bytes;
    WireError want;
  };
  const Case cases[] = {
      {"field 0 varint", std::string("\x00\x01", 2), WireError::kFieldNumberZero},
      {"field 0 len", std::string("\x02\x00", 2), WireError::kFieldNumberZero},
      {"start group", ProtoBuilder().Tag(1, 3).str(), WireError::kGroup},
      {"end group", ProtoBuilder().Tag(1, 4).str(), WireError::kGroup},
      {"wire type 6", ProtoBuilder().Tag(1, 6).str() + "\x01", WireError::kInvalidWireType},
      {"wire type 7", ProtoBuilder().Tag(1, 7).str() + "\x01", WireError::kInvalidWireType},
      {"tag over 32 bits", ProtoBuilder::VarintBytes(1ull << 35) + "\x01",
       WireError::kFieldNumberTooLarge},
      {"tag overflow", std::string(11, '\xff'), WireError::kVarintOverflow},
      {"varint value truncated", "\x08\x80", WireError::kTruncated},
      {"fixed64 truncated", "\x09\x01\x02", WireError::kTruncated},
      {"fixed32 truncated", "\x0d\x01\x02", WireError::kTruncated},
      {"length past end",
       "\x0a\x05"
       "abc",
       WireError::kLengthPastEnd},
      {"huge length", "\x0a" + ProtoBuilder::VarintBytes(1ull << 63), WireError::kLengthPastEnd},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    WireReader r(c.bytes);
    WireField f;
    EXPECT_FALSE(r.Next(&f));
    EXPECT_EQ(r.error(), c.want);
    EXPECT_LE(r.offset(), c.bytes.size());
    EXPECT_FALSE(WireErrorName(r.error()).empty());
  }
}

TEST(WireReaderTest, TruncatedAtEveryOffsetFailsOrEndsCleanly) {
  ProtoBuilder inner;
  inner.Bytes(1, "key").Varint(2, 1ull << 40);
  ProtoBuilder b;
  b.Varint(1, 300).Message(2, inner).Fixed64(3, 42).Fixed32(4, 7).Bytes(5, std::string(200, 'x'));
  const std::string& full = b.str();
  for (std::size_t n = 0; n <= full.size(); ++n) {
    SCOPED_TRACE(n);
    WireReader r(std::string_view(full).substr(0, n));
    WireField f;
    int fields = 0;
    while (r.Next(&f)) {
      ++fields;
      if (f.type == WireType::kLen) {
        ASSERT_GE(f.bytes.data(), full.data());
        ASSERT_LE(f.bytes.data() + f.bytes.size(), full.data() + n);
      }
    }
    EXPECT_LE(r.offset(), n);
    if (n == full.size()) {
      EXPECT_EQ(r.error(), WireError::kNone);
      EXPECT_EQ(fields, 5);
    } else if (r.error() == WireError::kNone) {
      EXPECT_TRUE(r.at_end());  // cut exactly between two fields
    }
  }
}

TEST(WireReaderTest, RandomBytesNeverReadOutOfBounds) {
  std::mt19937 rng(20260515);
  std::uniform_int_distribution<int> len(0, 64);
  std::uniform_int_distribution<int> byte(0, 255);
  int clean = 0;
  for (int i = 0; i < 2000; ++i) {
    std::vector<char> buf(static_cast<std::size_t>(len(rng)));
    for (char& c : buf) c = static_cast<char>(byte(rng));
    WireReader r(std::string_view(buf.data(), buf.size()));
    WireField f;
    std::size_t guard = 0;
    while (r.Next(&f)) {
      ASSERT_LT(++guard, buf.size() + 1) << "every field consumes at least one byte";
      if (f.type == WireType::kLen) {
        ASSERT_LE(f.bytes.data() + f.bytes.size(), buf.data() + buf.size());
      }
    }
    ASSERT_LE(r.offset(), buf.size());
    if (r.error() == WireError::kNone) ++clean;
  }
  EXPECT_GT(clean, 0);  // the empty buffers at least
}

}  // namespace
}  // namespace agx::otlp
