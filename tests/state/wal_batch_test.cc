// WAL batch payloads: events framed by their length round-trip whatever bytes they hold;
// logs written before (newline-separated) are recovered by JSON structure, so a
// pretty-printed event replays whole and a nested object never becomes an event of its own;
// inconsistent framing is an error, never a guess.
#include "state/wal_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agx::state_detail {
namespace {

std::vector<std::string> Events(const WalBatch& b) {
  return std::vector<std::string>(b.events.begin(), b.events.end());
}

TEST(WalBatchTest, FramedEventsRoundTripWhateverTheyHold) {
  const std::string pretty = "{\n  \"type\": \"run\",\n  \"agent_id\": \"a\",\n  \"status\": \"success\"\n}";
  const std::string binary("{\"x\":\"\0\xff\n\"}", 11);
  const std::string big(300, 'x');  // a two-byte length
  const std::vector<std::string_view> events = {pretty, binary, "", big};
  std::string payload = "prefix:";  // appends
  EncodeWalBatch(BatchSource::kOtlp, "annex-data", events, &payload);
  EXPECT_EQ(payload.size(), 7 + WalBatchSize("annex-data", events));
  WalBatch b;
  ASSERT_TRUE(DecodeWalBatch(std::string_view(payload).substr(7), &b).ok());
  EXPECT_EQ(b.source, BatchSource::kOtlp);
  EXPECT_EQ(b.annex, "annex-data");
  EXPECT_EQ(Events(b), (std::vector<std::string>{pretty, binary, "", big}));

  payload.clear();
  EncodeWalBatch(BatchSource::kPush, "", {}, &payload);
  ASSERT_TRUE(DecodeWalBatch(payload, &b).ok());
  EXPECT_EQ(b.source, BatchSource::kPush);
  EXPECT_TRUE(b.annex.empty());
  EXPECT_TRUE(b.events.empty());
}

TEST(WalBatchTest, OlderLogsAreReadByJsonStructureNotByNewlines) {
  // What earlier versions wrote for a pushed JSON array with pretty-printed elements: each
  // element as sent, then '\n'. One element holds a nested event-shaped object on a line of
  // its own, and a string with braces and an escaped quote.
  const std::string a = "{\n  \"type\": \"run\",\n  \"agent_id\": \"a\",\n  \"status\": \"success\",\n"
                        "  \"meta\":\n{\"type\":\"run\",\"agent_id\":\"ghost\",\"status\":\"success\"}\n}";
  const std::string b = R"({"type":"run","agent_id":"b","status":"success","note":"}{ \" ]["})";
  WalBatch out;
  const std::string old_push = a + "\n" + b + "\n";  // the views point into it
  ASSERT_TRUE(DecodeWalBatch(old_push, &out).ok());
  EXPECT_EQ(out.source, BatchSource::kPush);
  EXPECT_EQ(Events(out), (std::vector<std::string>{a, b})) << "no ghost, no fragments";

  const std::string old_otlp = "@source otlp\n@annex 00ff\n" + b + "\n  " + b + "\r\n";
  ASSERT_TRUE(DecodeWalBatch(old_otlp, &out).ok());
  EXPECT_EQ(out.source, BatchSource::kOtlp);
  EXPECT_EQ(out.annex, "00ff");
  EXPECT_EQ(Events(out), (std::vector<std::string>{b, b}));
}

TEST(WalBatchTest, InconsistentFramingIsAnError) {
  std::string payload;
  EncodeWalBatch(BatchSource::kPush, "", {"{\"a\":1}"}, &payload);
  WalBatch out;
  for (std::size_t cut = 1; cut < payload.size(); ++cut) {
    SCOPED_TRACE(cut);
    const auto st = DecodeWalBatch(std::string_view(payload).substr(0, cut), &out);
    if (cut == 3) {
      EXPECT_TRUE(st.ok()) << "header and no event: an empty batch";
    } else if (cut > 3) {
      EXPECT_FALSE(st.ok()) << "a length past the end";
    }
  }
  std::string bad_source = payload;
  bad_source[1] = 7;
  EXPECT_EQ(DecodeWalBatch(bad_source, &out).error(), "unknown batch source 7");
  EXPECT_FALSE(DecodeWalBatch("{\"type\":\"run\"", &out).ok()) << "an unterminated format-1 event";
  EXPECT_FALSE(DecodeWalBatch("not an event\n", &out).ok());
  EXPECT_FALSE(DecodeWalBatch("@source carrier-pigeon\n{}\n", &out).ok());
}

}  // namespace
}  // namespace agx::state_detail
