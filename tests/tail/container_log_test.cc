// Container log records (container_record.h) and their decoder (container_log_decoder.h):
// CRI and Docker json-file, partial lines joined per stream, limits, skipped lines, and the
// exactly-once property of the positions under restarts at any chunk boundary.
#include "tail/container_log_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tail/container_record.h"
#include "tail/line_splitter.h"

namespace agx::detail {
namespace {

using Lines = std::vector<std::string>;

// A LineSplitter and a decoder fed chunk by chunk, as FileTailer does; keeps every output.
class Feeder {
 public:
  Feeder(ContainerLogFormat f, std::size_t max_line_bytes, std::uint64_t offset = 0)
      : splitter_(MaxRecordBytes(f, max_line_bytes)),
        decoder_(f, max_line_bytes, offset),
        read_pos_(offset),
        offset_(offset) {}

  void Feed(std::string_view chunk) {
    auto r = splitter_.Split(chunk, &lines_, &ends_);
    const std::uint64_t start = read_pos_;
    read_pos_ += chunk.size();
    if (!r.any_newline) return;
    ContainerLogDecoder::Output out;
    decoder_.Decode(start, lines_, ends_, &out);
    EXPECT_GE(out.offset, offset_) << "the position never goes back";
    offset_ = out.offset;
    for (auto l : out.lines) got.emplace_back(l);
    oversized += out.oversized;  // records over the limit included
    not_json += out.not_json;
    bad += out.bad_records;
  }

  std::uint64_t offset() const { return offset_; }
  bool pending() const { return decoder_.pending(); }

  Lines got;
  std::size_t oversized = 0, not_json = 0, bad = 0;

 private:
  LineSplitter splitter_;
  ContainerLogDecoder decoder_;
  std::vector<std::string_view> lines_;
  std::vector<LineSplitter::LineEnd> ends_;
  std::uint64_t read_pos_;
  std::uint64_t offset_;
};

std::string Cri(std::string_view stream, std::string_view tag, std::string_view content) {
  return "2024-05-01T10:00:00.123456789Z " + std::string(stream) + " " + std::string(tag) + " " +
         std::string(content) + "\n";
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Docker(std::string_view stream, std::string_view log) {
  return "{\"log\":\"" + JsonEscape(log) + "\",\"stream\":\"" + std::string(stream) +
         "\",\"time\":\"2024-05-01T10:00:00.123456789Z\"}\n";
}

TEST(ContainerRecordTest, ParsesCri) {
  ContainerRecord r;
  ASSERT_TRUE(ParseCriRecord("2024-05-01T10:00:00.1Z stdout F {\"a\":1}", &r));
  EXPECT_FALSE(r.stderr_stream);
  EXPECT_FALSE(r.partial);
  EXPECT_EQ(r.content, "{\"a\":1}");
  ASSERT_TRUE(ParseCriRecord("2024-05-01T12:00:00+02:00 stderr P:x  two spaces", &r));
  EXPECT_TRUE(r.stderr_stream);
  EXPECT_TRUE(r.partial);
  EXPECT_EQ(r.content, " two spaces");
  ASSERT_TRUE(ParseCriRecord("2024-05-01T10:00:00Z stdout F", &r));  // empty content
  EXPECT_EQ(r.content, "");
  for (std::string_view bad : {"", "hello world", "{\"type\":\"run\"}",
                               "2024-05-01 stdout F x", "2024-05-01T10:00:00Z stdin F x",
                               "2024-05-01T10:00:00Z stdout X x", "2024-05-01T10:00:00Z stdout",
                               "2024-05-01T10:00:00Zq stdout F x", "2024-05-01T10:00:00Z  F x"}) {
    EXPECT_FALSE(ParseCriRecord(bad, &r)) << bad;
  }
}

TEST(ContainerRecordTest, ParsesDockerJsonFile) {
  ContainerRecord r;
  std::string scratch;
  ASSERT_TRUE(ParseDockerJsonRecord(
      R"({"log":"{\"a\":\"\u00e9\ud83d\ude00\"}\n","stream":"stderr","attrs":{"k":"v","n":[1,2.5e3,true,null]},"time":"t"})",
      &scratch, &r));
  EXPECT_TRUE(r.stderr_stream);
  EXPECT_FALSE(r.partial);
  EXPECT_EQ(r.content, "{\"a\":\"\xc3\xa9\xf0\x9f\x98\x80\"}");
  ASSERT_TRUE(ParseDockerJsonRecord(R"( { "stream" : "stdout" , "log" : "part" } )", &scratch, &r));
  EXPECT_TRUE(r.partial);
  EXPECT_EQ(r.content, "part");
  for (std::string_view bad :
       {"", "plain text", R"({"log":"x\n"})", R"({"stream":"stdout"})",
        R"({"log":"x\n","stream":"stdin"})", R"({"log":1,"stream":"stdout"})",
        R"({"log":"x\n","stream":"stdout"} trailing)", R"({"log":"\ud800","stream":"stdout"})",
        R"({"log":"\q","stream":"stdout"})", R"({"log":"x\n","stream":"stdout")",
        R"({"log":"x\n","stream":"stdout","a":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]})",
        R"({"log":"x\n","stream":"stdout","a":nope})", "{\"log\":\"a\tb\",\"stream\":\"stdout\"}"}) {
    EXPECT_FALSE(ParseDockerJsonRecord(bad, &scratch, &r)) << bad;
  }
}

TEST(ContainerLogDecoderTest, CriFullLinesAndAppOutput) {
  Feeder f(ContainerLogFormat::kCri, 1024);
  const std::string text = Cri("stdout", "F", "{\"type\":\"run\"}") +
                           Cri("stdout", "F", "starting server on :8080") +
                           Cri("stderr", "F", "  {\"type\":\"error\"}") + Cri("stdout", "F", "") +
                           "garbage that is not a record\n";
  f.Feed(text);
  EXPECT_EQ(f.got, (Lines{"{\"type\":\"run\"}", "  {\"type\":\"error\"}"}));
  EXPECT_EQ(f.not_json, 2u);  // the app's line and the empty one
  EXPECT_EQ(f.bad, 1u);
  EXPECT_EQ(f.offset(), text.size());
}

TEST(ContainerLogDecoderTest, CriPartialsJoinedAcrossReads) {
  Feeder f(ContainerLogFormat::kCri, 1024);
  const std::string p1 = Cri("stdout", "P", "{\"type\":");
  const std::string p2 = Cri("stdout", "P", "\"run\",");
  const std::string fin = Cri("stdout", "F", "\"agent_id\":\"a\"}");
  const std::string all = p1 + p2 + fin;
  // Cut inside records too: each piece of every size.
  f.Feed(all.substr(0, 10));
  f.Feed(all.substr(10, p1.size()));
  EXPECT_TRUE(f.got.empty());
  EXPECT_EQ(f.offset(), 0u) << "a position inside a P sequence would lose its start";
  f.Feed(all.substr(10 + p1.size(), p2.size()));
  EXPECT_EQ(f.offset(), 0u);
  EXPECT_TRUE(f.pending());
  f.Feed(all.substr(10 + p1.size() + p2.size()));
  EXPECT_EQ(f.got, (Lines{"{\"type\":\"run\",\"agent_id\":\"a\"}"}));
  EXPECT_EQ(f.offset(), all.size());
  EXPECT_FALSE(f.pending());
}

TEST(ContainerLogDecoderTest, StreamsInterleavedAreJoinedSeparatelyAndHeldInOrder) {
  Feeder f(ContainerLogFormat::kCri, 1024);
  const std::string a = Cri("stdout", "P", "{\"s\":\"out");
  const std::string b = Cri("stderr", "P", "{\"s\":\"err");
  const std::string c = Cri("stderr", "F", "\"}");
  const std::string d = Cri("stderr", "F", "{\"s\":\"err2\"}");
  const std::string e = Cri("stdout", "F", "\"}");
  f.Feed(a + b + c + d);
  // stderr's lines are complete but stdout's is open since before them: held, and the
  // position stays at the start of stdout's first piece.
  EXPECT_TRUE(f.got.empty());
  EXPECT_EQ(f.offset(), 0u);
  f.Feed(e);
  EXPECT_EQ(f.got, (Lines{"{\"s\":\"err\"}", "{\"s\":\"err2\"}", "{\"s\":\"out\"}"}));
  EXPECT_EQ(f.offset(), (a + b + c + d + e).size());
}

TEST(ContainerLogDecoderTest, LinesOverTheLimitAreCountedOnceWhenTheyEnd) {
  Feeder f(ContainerLogFormat::kCri, 100);
  std::string text;
  for (int i = 0; i < 50; ++i) text += Cri("stdout", "P", std::string(40, 'x'));
  f.Feed(text);
  EXPECT_EQ(f.oversized, 0u);
  f.Feed(Cri("stdout", "F", "}") + Cri("stdout", "F", "{\"ok\":1}"));
  EXPECT_EQ(f.oversized, 1u);
  EXPECT_EQ(f.got, (Lines{"{\"ok\":1}"}));
  // Exactly at the limit is kept.
  Feeder g(ContainerLogFormat::kCri, 10);
  g.Feed(Cri("stdout", "P", "{\"a\":") + Cri("stdout", "F", "\"bc\"}"));
  EXPECT_EQ(g.got, (Lines{"{\"a\":\"bc\"}"}));
  g.Feed(Cri("stdout", "P", "{\"a\":") + Cri("stdout", "F", "\"bcd\"}"));
  EXPECT_EQ(g.oversized, 1u);
  // One record whose content alone is over the limit (the record is within its own limit).
  g.Feed(Cri("stdout", "F", "{\"a\":\"bcd\"}") + Cri("stdout", "F", "{\"a\":\"bc\"}"));
  EXPECT_EQ(g.oversized, 2u);
  EXPECT_EQ(g.got.back(), "{\"a\":\"bc\"}");
  // One record longer than a record may be: counted, its neighbours kept.
  g.Feed(Cri("stdout", "F", std::string(500, 'y')) + Cri("stdout", "F", "{}"));
  EXPECT_EQ(g.oversized, 3u);
  EXPECT_EQ(g.got.back(), "{}");
}

TEST(ContainerLogDecoderTest, HeldLinesAreBounded) {
  Feeder f(ContainerLogFormat::kCri, 20);
  f.Feed(Cri("stdout", "P", "{"));
  for (int i = 0; i < 5; ++i) f.Feed(Cri("stderr", "F", "{\"n\":12345}"));  // 11 bytes each
  f.Feed(Cri("stdout", "F", "}"));
  EXPECT_EQ(f.got, (Lines{"{\"n\":12345}", "{}"}));
  EXPECT_EQ(f.oversized, 4u);  // held past the limit: counted, not kept
}

TEST(ContainerLogDecoderTest, DockerJsonPartialsAndSkips) {
  Feeder f(ContainerLogFormat::kDockerJson, 1024);
  const std::string text = Docker("stdout", "{\"type\":") + Docker("stderr", "plain stderr\n") +
                           Docker("stdout", "\"run\"}\n") + "not json at all\n" +
                           Docker("stdout", "{\"b\":\"q\\\"uote\"}\n");
  for (char c : text) f.Feed(std::string(1, c));  // byte by byte
  EXPECT_EQ(f.got, (Lines{"{\"type\":\"run\"}", "{\"b\":\"q\\\"uote\"}"}));
  EXPECT_EQ(f.not_json, 1u);
  EXPECT_EQ(f.bad, 1u);
  EXPECT_EQ(f.offset(), text.size());
}

// The exactly-once property: a file of records (partials of random sizes, both streams
// interleaved, app output, bad records) is read in random chunks, and the reader "crashes"
// at random moments: a new splitter and decoder start at the last position handed on,
// which is all a state store keeps. Every payload line must come out exactly once.
TEST(ContainerLogDecoderTest, RestartsAtAnyPositionLoseAndRepeatNothing) {
  for (ContainerLogFormat format : {ContainerLogFormat::kCri, ContainerLogFormat::kDockerJson}) {
    for (unsigned seed = 1; seed <= 40; ++seed) {
      SCOPED_TRACE(::testing::Message() << "format " << static_cast<int>(format) << " seed "
                                        << seed);
      std::mt19937 rng(seed);
      auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
      std::string file;
      Lines want;
      // Open lines per stream: the pieces still to write.
      std::vector<std::string> rest[2];
      int next_id = 0;
      auto record = [&](int stream, bool partial, std::string_view content) {
        const char* name = stream == 0 ? "stdout" : "stderr";
        file += format == ContainerLogFormat::kCri
                    ? Cri(name, partial ? "P" : "F", content)
                    : Docker(name, std::string(content) + (partial ? "" : "\n"));
      };
      for (int step = 0; step < 200; ++step) {
        // Mostly the stream with an open line goes on (as a runtime flushes a long line),
        // sometimes the other one interleaves.
        int stream = pick(2);
        if (rest[stream].empty() && !rest[1 - stream].empty() && pick(4) != 0) stream = 1 - stream;
        if (!rest[stream].empty()) {
          std::string piece = rest[stream].front();
          rest[stream].erase(rest[stream].begin());
          record(stream, !rest[stream].empty(), piece);
          continue;
        }
        switch (pick(6)) {
          case 0:
            record(stream, false, "app output " + std::to_string(step));
            break;
          case 1:
            file += "not a record\n";
            break;
          default: {
            std::string line = "{\"id\":" + std::to_string(next_id++) + ",\"pad\":\"" +
                               std::string(static_cast<std::size_t>(pick(60)), 'p') + "\"}";
            want.push_back(line);
            std::size_t pos = 0;
            while (pos < line.size()) {
              std::size_t n = 1 + static_cast<std::size_t>(pick(30));
              rest[stream].push_back(line.substr(pos, n));
              pos += n;
            }
            std::string piece = rest[stream].front();
            rest[stream].erase(rest[stream].begin());
            record(stream, !rest[stream].empty(), piece);
          }
        }
      }
      for (int stream = 0; stream < 2; ++stream) {
        while (!rest[stream].empty()) {
          std::string piece = rest[stream].front();
          rest[stream].erase(rest[stream].begin());
          record(stream, !rest[stream].empty(), piece);
        }
      }

      Lines got;
      std::uint64_t saved = 0;
      auto reader = std::make_unique<Feeder>(format, 1 << 20);
      std::uint64_t read = 0;
      std::uint64_t restarted_at = 0;
      int restarts = 0;
      while (read < file.size()) {
        std::size_t n = 1 + static_cast<std::size_t>(pick(120));
        n = std::min<std::size_t>(n, file.size() - read);
        reader->Feed(std::string_view(file).substr(read, n));
        read += n;
        for (auto& l : reader->got) got.push_back(l);
        reader->got.clear();
        saved = reader->offset();
        // kill -9: only `saved` survives (after some progress, so that the test ends).
        if (pick(5) == 0 && saved > restarted_at) {
          restarted_at = saved;
          ++restarts;
          reader = std::make_unique<Feeder>(format, 1 << 20, saved);
          read = saved;
        }
      }
      EXPECT_GT(restarts, 0);
      std::sort(got.begin(), got.end());
      std::sort(want.begin(), want.end());
      EXPECT_EQ(got, want);
      EXPECT_EQ(saved, file.size());
    }
  }
}

}  // namespace
}  // namespace agx::detail
